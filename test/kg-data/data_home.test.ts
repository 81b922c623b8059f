import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DatasetNotFoundError, dataRoots, derivedDir, fileCandidates, locateDataset, setDataDir } from '../../kg-data/data_home';
import { loadKgDataset } from '../../kg-data/loader';
import { getDataset } from '../../kg-data/registry';
import { loadClsDataset } from '../../cls-data/registry';
import { defaultCacheDir } from '../../src/paths';
import { rejection } from './helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');

/** A 4-entity WN9-IMG look-alike (h,t,r columns, CRLF like the IKRL files) in `dir`; `gz` gzips every file. */
export function writeTinyWn9(dir: string, gz = false): void {
  const files: Record<string, string> = {
    'train.txt': 'n1\tn2\t_hyponym\r\nn2\tn1\t_hypernym\r\nn3\tn4\t_hyponym\r\n',
    'valid.txt': 'n4\tn3\t_hypernym\r\n',
    'test.txt': 'n1\tn3\t_hyponym\r\n',
    'entity2id.txt': 'n1\t0\r\nn2\t1\r\nn3\t2\r\nn4\t3\r\n',
    'relation2id.txt': '_hyponym\t0\r\n_hypernym\t1\r\n',
    'text/words.txt': 'n0\tother\nn1\tdog, domestic dog\nn2\tcanine\nn3\tcat\nn4\tfeline\n',
  };
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, gz ? `${name}.gz` : name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, gz ? zlib.gzipSync(text) : text);
  }
}

describe('kg-data/data_home', () => {
  const saved = { data: process.env.MMKGE_DATA, cache: process.env.MMKGE_CACHE, xdg: process.env.XDG_CACHE_HOME };
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-home-'));
    process.env.MMKGE_CACHE = path.join(tmp, 'cache');
    delete process.env.MMKGE_DATA;
  });
  afterEach(() => {
    setDataDir(undefined);
    for (const [k, v] of [['MMKGE_DATA', saved.data], ['MMKGE_CACHE', saved.cache], ['XDG_CACHE_HOME', saved.xdg]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('searches --data-dir, then each MMKGE_DATA folder, then the cache', () => {
    setDataDir(path.join(tmp, 'given'));
    process.env.MMKGE_DATA = [path.join(tmp, 'a'), '', path.join(tmp, 'b')].join(path.delimiter);
    expect(dataRoots().map((r) => [r.dir, r.origin])).to.deep.equal([
      [path.join(tmp, 'given'), '--data-dir'],
      [path.join(tmp, 'a'), 'MMKGE_DATA'],
      [path.join(tmp, 'b'), 'MMKGE_DATA'],
      [path.join(tmp, 'cache'), 'cache'],
    ]);
  });

  it('the cache is MMKGE_CACHE, else $XDG_CACHE_HOME/mmkge, else ~/.cache/mmkge', () => {
    expect(defaultCacheDir({ MMKGE_CACHE: '/x/c', XDG_CACHE_HOME: '/x/xdg' })).to.equal(path.resolve('/x/c'));
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/xdg' })).to.equal(path.join(path.resolve('/x/xdg'), 'mmkge'));
    expect(defaultCacheDir({})).to.equal(path.join(os.homedir(), '.cache', 'mmkge'));
    expect(derivedDir('fb-img')).to.equal(path.join(tmp, 'cache', 'derived', 'fb-img'));
  });

  it('file names are matched with or without .gz and .txt', () => {
    expect(fileCandidates('train')).to.deep.equal(['train', 'train.gz', 'train.txt', 'train.txt.gz']);
    expect(fileCandidates('entity2id.txt')).to.include.members(['entity2id.txt', 'entity2id.txt.gz', 'entity2id']);
  });

  it('loads a registry dataset from a registry-key folder (gzipped) and from the shared-data folder name', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    writeTinyWn9(path.join(a, 'wn9-img'), true);
    writeTinyWn9(path.join(b, 'WN9-IMG'));
    for (const root of [a, b]) {
      process.env.MMKGE_DATA = root;
      const ds = await loadKgDataset('wn9-img');
      expect(ds.directory.startsWith(root)).to.equal(true);
      expect(ds.entities).to.deep.equal(['n1', 'n2', 'n3', 'n4']);
      expect([...ds.train]).to.deep.equal([0, 0, 1, 1, 1, 0, 2, 0, 3]); // h,t,r columns read as h,r,t
      expect(ds.entityNames).to.deep.equal(['dog, domestic dog', 'canine', 'cat', 'feline']); // names from words.txt
    }
    process.env.MMKGE_DATA = [b, a].join(path.delimiter);
    expect(locateDataset(getDataset('wn9-img'))).to.equal(path.join(b, 'WN9-IMG')); // first root wins
    setDataDir(a);
    expect(locateDataset(getDataset('wn9-img'))).to.equal(path.join(a, 'wn9-img'));
  });

  it('a folder without the dataset files does not count', () => {
    fs.mkdirSync(path.join(tmp, 'a', 'wn9-img'), { recursive: true });
    process.env.MMKGE_DATA = path.join(tmp, 'a');
    expect(locateDataset(getDataset('wn9-img'))).to.equal(undefined);
  });

  it('a missing dataset is one error saying where it looked, mmkge download and MMKGE_DATA', async () => {
    process.env.MMKGE_DATA = path.join(tmp, 'empty');
    for (const err of [await rejection(loadKgDataset('fb-img')), await rejection(loadClsDataset('hfm'))]) {
      expect(err).to.be.instanceOf(DatasetNotFoundError);
      expect(err.message).to.contain(path.join(tmp, 'empty')).and.to.contain(path.join(tmp, 'cache'));
      expect(err.message).to.match(/mmkge download (fb-img|hfm)/);
      expect(err.message).to.contain('MMKGE_DATA');
    }
  });

  it('every command stops at once with that message when the dataset is missing', () => {
    const env = { ...process.env, MMKGE_DATA: path.join(tmp, 'empty'), MMKGE_CACHE: path.join(tmp, 'cache') };
    const runs: string[][] = [
      ['train', '--dataset', 'wn9-img', '--model', 'transe', '--out', path.join(tmp, 'run')],
      ['info', 'fb-img'],
      ['prepare', '--dataset', 'fb-img'],
      ['classify', '--dataset', 'mvsa-single'],
      ['--data-dir', path.join(tmp, 'given'), 'train', '--dataset', 'wn9-img', '--model', 'transe', '--out', path.join(tmp, 'run')],
    ];
    for (const args of runs) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, env, timeout: 60000 });
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.match(/dataset '[\w-]+' not found: looked for .* in .*mmkge download [\w-]+.*MMKGE_DATA/);
      expect(fs.existsSync(path.join(tmp, 'run')), 'no run folder is created').to.equal(false);
    }
    const withDir = spawnSync(process.execPath, [CLI, '--data-dir', path.join(tmp, 'given'), 'info', 'wn9-img'], { encoding: 'utf8', cwd: ROOT, env });
    expect(withDir.stderr).to.contain(`${path.join(tmp, 'given')} (--data-dir)`);
  });
});
