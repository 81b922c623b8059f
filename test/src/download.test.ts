import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { locateDataset } from '../../kg-data/data_home';
import { getDataset } from '../../kg-data/registry';
import { loadDatasetModalities } from '../../kg-data/features';
import { loadKgDataset } from '../../kg-data/loader';
import { needsRealData } from '../real_data';
import { DownloadError, downloadFiles, effectiveUrl, RAW_BASE, type DataFileDescription } from '../../src/download';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');
const GOOD = Buffer.from('h\tr\tt\n'.repeat(5000));
const OTHER = Buffer.from('x\ty\tz\n'.repeat(5000));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A local server: /good/*, /other/* (same length, other bytes), /cut/* (half, then the socket closes), else 404. */
function startServer(): Promise<{ server: http.Server; base: string; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    hits.push(url);
    if (url.startsWith('/good/') || url.includes('/good/')) {
      res.writeHead(200, { 'content-length': GOOD.length });
      res.end(GOOD);
    } else if (url.startsWith('/other/') || url.includes('/ksolaiman/')) {
      res.writeHead(200, { 'content-length': OTHER.length });
      res.end(OTHER);
    } else if (url.startsWith('/cut/')) {
      res.writeHead(200, { 'content-length': GOOD.length });
      res.write(GOOD.subarray(0, GOOD.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
    } else if (url.startsWith('/moved/')) {
      res.writeHead(302, { location: url.replace('/moved/', '/good/') });
      res.end();
    } else {
      res.writeHead(404, 'Not Found');
      res.end('no');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits })));
}

function desc(p: string, url: string, body = GOOD): DataFileDescription {
  return { path: p, bytes: body.length, sha256: sha(body), url, format: 'test triples' };
}

async function failure(promise: Promise<unknown>): Promise<DownloadError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(DownloadError);
    return err as DownloadError;
  }
  throw new Error('expected the download to fail');
}

describe('src/download (local HTTP server on 127.0.0.1)', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tmp: string;
  before(async () => {
    srv = await startServer();
  });
  after(() => new Promise<void>((resolve) => srv.server.close(() => resolve())));
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-dl-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The target folder holds nothing and no staging folder is left beside it. */
  function nothingLeft(target: string): void {
    expect(fs.existsSync(target), target).to.equal(false);
    expect(fs.readdirSync(path.dirname(target)).filter((f) => f.includes('partial')), 'staging folders').to.deep.equal([]);
  }

  it('fetches every file (redirects followed), checks sha256 and moves the folder into place', async () => {
    const target = path.join(tmp, 'cache', 'tiny');
    const files = [desc('train.txt', `${srv.base}/good/train.txt`), desc('text/names.txt', `${srv.base}/moved/names.txt`), { ...desc('derived.npy', ''), url: undefined, obtain: 'derived' }];
    const bytes = await downloadFiles(files, target, { progress: false });
    expect(bytes).to.equal(2 * GOOD.length);
    expect(fs.readFileSync(path.join(target, 'train.txt')).equals(GOOD)).to.equal(true);
    expect(fs.readFileSync(path.join(target, 'text', 'names.txt')).equals(GOOD)).to.equal(true);
    expect(fs.existsSync(path.join(target, 'derived.npy'))).to.equal(false);
    expect(fs.readdirSync(path.dirname(target))).to.deep.equal(['tiny']);
  });

  it('a wrong checksum names the URL, and nothing is left half-written', async () => {
    const target = path.join(tmp, 'tiny');
    const url = `${srv.base}/other/train.txt`;
    const err = await failure(downloadFiles([desc('valid.txt', `${srv.base}/good/valid.txt`), desc('train.txt', url)], target, { progress: false }));
    expect(err.url).to.equal(url);
    expect(err.message).to.contain(url).and.to.contain('sha256 mismatch').and.to.contain(sha(OTHER));
    nothingLeft(target);
  });

  it('HTTP 404 names the URL and the status', async () => {
    const target = path.join(tmp, 'tiny');
    const err = await failure(downloadFiles([desc('train.txt', `${srv.base}/nowhere/train.txt`)], target, { progress: false }));
    expect(err.message).to.contain(`${srv.base}/nowhere/train.txt`).and.to.contain('HTTP 404');
    nothingLeft(target);
  });

  it('a connection cut mid-file says how many bytes arrived', async () => {
    const target = path.join(tmp, 'tiny');
    const err = await failure(downloadFiles([desc('train.txt', `${srv.base}/cut/train.txt`)], target, { progress: false }));
    expect(err.message).to.contain(`${srv.base}/cut/train.txt`).and.to.match(/connection cut after \d+ of 30000 bytes/);
    nothingLeft(target);
  });

  it('no server listening (no network) is a clear error, not a hang', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const target = path.join(tmp, 'tiny');
    const err = await failure(downloadFiles([desc('train.txt', `http://127.0.0.1:${port}/good/train.txt`)], target, { progress: false, timeoutMs: 3000 }));
    expect(err.message).to.contain(`http://127.0.0.1:${port}/good/train.txt`).and.to.contain('connection refused');
    nothingLeft(target);
  });

  it('MMKGE_DOWNLOAD_BASE replaces the raw GitHub host of the pinned URLs', () => {
    const url = `${RAW_BASE}/owner/repo/0123abc/data/train.txt`;
    expect(effectiveUrl(url, 'http://127.0.0.1:9/')).to.equal('http://127.0.0.1:9/owner/repo/0123abc/data/train.txt');
    expect(effectiveUrl(url, undefined)).to.equal(url);
    expect(effectiveUrl('https://example.org/x', 'http://127.0.0.1:9')).to.equal('https://example.org/x');
  });

  /** Run the CLI asynchronously (the server lives in this process). */
  function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
  }

  it('`mmkge download wn9-img` against the server: a bad file leaves the cache empty; --download-missing reports it in the missing-dataset message', async () => {
    const cache = path.join(tmp, 'cache');
    const env = { ...process.env, MMKGE_CACHE: cache, MMKGE_DATA: path.join(tmp, 'empty'), MMKGE_DOWNLOAD_BASE: srv.base };
    const r = await cli(['download', 'wn9-img', '--quiet'], env);
    expect(r.code).to.equal(1);
    expect(r.err).to.contain(`${srv.base}/ksolaiman/TransAE/`).and.to.contain('size mismatch: the server sends 30000 bytes, expected 361714');
    expect(srv.hits.some((h) => h.startsWith('/ksolaiman/TransAE/ff28b0426910ab0c2b67e9eb24a8626106bd7327/WN9-IMG_IKRL/'))).to.equal(true);
    expect(fs.existsSync(path.join(cache, 'wn9-img'))).to.equal(false);
    expect(fs.readdirSync(cache)).to.deep.equal([]);
    const t = await cli(['--download-missing', 'train', '--dataset', 'wn9-img', '--model', 'transe', '--out', path.join(tmp, 'run')], env);
    expect(t.code).to.equal(1);
    expect(t.err).to.contain("dataset 'wn9-img' not found").and.to.contain('The automatic download failed').and.to.contain('size mismatch');
    const bad = await cli(['download', 'wn18'], env);
    expect(bad.err).to.contain("unknown dataset 'wn18'").and.to.contain('wn9-img, fb-img, mvsa-single');
  });

  it('`mmkge download wn9-img` from a mirror of the pinned files (the real bytes), then loads it from the cache', async function () {
    needsRealData(this, 'wn9-img');
    const shared = locateDataset(getDataset('wn9-img')) as string;
    // Mirror: /ksolaiman/TransAE/<commit>/WN9-IMG_IKRL/<file> -> the data-home copy of <file>.
    const mirror = http.createServer((req, res) => {
      const name = path.basename(req.url ?? '');
      const file = [path.join(shared, name), path.join(shared, 'text', name)].find((f) => fs.existsSync(f));
      if (!file) {
        res.writeHead(404);
        res.end();
        return;
      }
      const body = fs.readFileSync(file);
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', () => r()));
    try {
      const cache = path.join(tmp, 'cache');
      const env = { ...process.env, MMKGE_CACHE: cache, MMKGE_DATA: '', MMKGE_DOWNLOAD_BASE: `http://127.0.0.1:${(mirror.address() as AddressInfo).port}` };
      const r = await cli(['download', 'wn9-img', '--quiet'], env);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.contain('fetching 8 files').and.to.contain('not downloaded: text/textembed_6555_100_2_40.txt.gz');
      expect(fs.readdirSync(path.join(cache, 'wn9-img')).sort()).to.deep.equal(['entity2id.txt', 'relation2id.txt', 'test.txt', 'text', 'train.txt', 'valid.txt']);
      const again = await cli(['download', 'wn9-img'], env);
      expect(again.out).to.contain('already in').and.to.contain('8 files verified by sha256');
      // The downloaded copy gives the Doc2Vec text default from TransAE's pickle, the same numbers as the shared conversion.
      const saved = { cache: process.env.MMKGE_CACHE, data: process.env.MMKGE_DATA };
      process.env.MMKGE_CACHE = cache;
      delete process.env.MMKGE_DATA;
      try {
        const ds = await loadKgDataset('wn9-img');
        expect(ds.directory).to.equal(path.join(cache, 'wn9-img'));
        const logs: string[] = [];
        const mods = await loadDatasetModalities(ds.descriptor, { imageFeatures: '', textFeatures: '' }, ds.entities, { log: (m) => logs.push(m) });
        expect(mods.map((m) => [m.modality, m.rows, m.dim])).to.deep.equal([['text', 6555, 100]]);
        expect(mods[0].source.endsWith('textembed_6555_100_2_40.pkl')).to.equal(true);
        expect(mods[0].data[0]).to.equal(Math.fround(0.0264633615));
        expect(logs.join('\n')).to.contain('image features: none (the data home copy of wn9-img has no image/');
      } finally {
        for (const [k, v] of [['MMKGE_CACHE', saved.cache], ['MMKGE_DATA', saved.data]] as const) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
      const info = await cli(['info', 'wn9-img'], env);
      expect(info.code, info.err).to.equal(0);
      expect(info.out).to.contain(`directory: ${path.join(cache, 'wn9-img')}`).and.to.contain('entities: 6,555   relations: 9');
    } finally {
      await new Promise<void>((r) => mirror.close(() => r()));
    }
  });
});
