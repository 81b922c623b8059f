import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  datasetFeatureEntry,
  datasetFeatureFile,
  featureFormat,
  loadDatasetModalities,
  loadModalityFeatures,
  resolveFeatureOption,
} from '../../kg-data/features';
import { loadKgDataset } from '../../kg-data/loader';
import { datasetFile, featureFilePath, getDataset } from '../../kg-data/registry';
import { prepareDatasets } from '../../kg-data/prepare';
import { needsRealData, needsWordVectors } from '../real_data';
import { KgDataError, readIdMap } from '../../kg-data/triples_reader';
import { modalityRecord, presentRows } from '../../src/modality';
import { encodeNpy, writeNpy } from '../../src/npy';
import { rejection } from './helpers';

const ENTITIES = ['a', 'b', 'c', 'd'];

describe('kg-data/features', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-features-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string, content?: string | Buffer): string => {
    const p = path.join(dir, name);
    if (content !== undefined) fs.writeFileSync(p, content);
    return p;
  };
  const load = (p: string, entityIds = ENTITIES) => loadModalityFeatures(p, { modality: 'image', entityIds });

  // 4 x 3 with an all-zero row 2
  const matrix = Float32Array.from([1, 2, 3, 0.5, -1, 0, 0, 0, 0, 7, 8, 9.25]);

  describe('.npy', () => {
    it('reads float32 in entity-id order with a mask from zero rows', async () => {
      const p = file('f32.npy');
      writeNpy(p, matrix, [4, 3]);
      const f = await load(p);
      expect(f).to.include({ modality: 'image', rows: 4, dim: 3, source: p, format: 'npy', skippedKeys: 0 });
      expect(Array.from(f.data)).to.deep.equal(Array.from(matrix));
      expect(Array.from(f.mask)).to.deep.equal([1, 1, 0, 1]);
      expect(presentRows(f)).to.equal(3);
    });

    it('reads float64 (converted to float32) and gzipped files', async () => {
      const p64 = file('f64.npy', encodeNpy(Float64Array.from(matrix), [4, 3]));
      expect(fs.readFileSync(p64).toString('latin1', 0, 80)).to.contain("'<f8'");
      const f64 = await load(p64);
      expect(Array.from(f64.data)).to.deep.equal(Array.from(matrix));
      expect(Array.from(f64.mask)).to.deep.equal([1, 1, 0, 1]);
      const pgz = file('f64.npy.gz', zlib.gzipSync(encodeNpy(Float64Array.from(matrix), [4, 3])));
      expect(Array.from((await load(pgz)).data)).to.deep.equal(Array.from(matrix));
      const wgz = file('w.npy.gz');
      writeNpy(wgz, matrix, [4, 3]); // writeNpy gzips a .gz name
      expect(zlib.gunzipSync(fs.readFileSync(wgz)).toString('latin1', 1, 6)).to.equal('NUMPY');
      expect(Array.from((await load(wgz)).data)).to.deep.equal(Array.from(matrix));
    });

    it('rejects a row count other than the number of entities', async () => {
      const p = file('rows.npy');
      writeNpy(p, matrix.subarray(0, 9), [3, 3]);
      const err = await rejection(load(p));
      expect(err).to.be.instanceOf(KgDataError);
      expect(err.message).to.contain(p).and.to.contain('3 rows').and.to.contain('4 entities');
    });

    it('rejects NaN/Inf naming the file, row and key', async () => {
      const bad = Float32Array.from(matrix);
      bad[4] = NaN;
      const p = file('nan.npy');
      writeNpy(p, bad, [4, 3]);
      const err = await rejection(load(p));
      expect(err.message).to.contain(p).and.to.contain("row 1 (key 'b')").and.to.contain('NaN');
      const inf = Float64Array.from(matrix);
      inf[11] = Infinity;
      const p2 = file('inf.npy', encodeNpy(inf, [4, 3]));
      expect((await rejection(load(p2))).message).to.contain("row 3 (key 'd')").and.to.contain('Infinity');
    });

    it('rejects a matrix that is not 2-D', async () => {
      const p = file('flat.npy');
      writeNpy(p, matrix, [12]);
      expect((await rejection(load(p))).message).to.contain(p).and.to.contain('2-D');
    });
  });

  describe('text vectors', () => {
    it('aligns keyed lines (TAB or space) to entity ids, skips unknown keys and masks entities without a line', async () => {
      const p = file('keyed.txt', 'b\t1 2 3\nx 9 9 9\n\na 4 5 6\nd  0 0 0\n');
      const f = await load(p);
      expect(f).to.include({ rows: 4, dim: 3, format: 'text', skippedKeys: 1 });
      expect(Array.from(f.data)).to.deep.equal([4, 5, 6, 1, 2, 3, 0, 0, 0, 0, 0, 0]);
      expect(Array.from(f.mask)).to.deep.equal([1, 1, 0, 0]);
    });

    it('reads unkeyed rows in entity-id order (.tsv, CRLF) and checks their count', async () => {
      const p = file('plain.tsv', '1 2 3\r\n0.5\t-1\t0\r\n0 0 0\r\n7 8 9.25\r\n');
      const f = await load(p);
      expect(Array.from(f.data)).to.deep.equal(Array.from(matrix));
      expect(Array.from(f.mask)).to.deep.equal([1, 1, 0, 1]);
      const short = file('short.txt', '1 2 3\n4 5 6\n7 8 9\n');
      const err = await rejection(load(short));
      expect(err.message).to.contain(short).and.to.contain('3 vector rows').and.to.contain('4 entities');
    });

    it('reads gzipped keyed files', async () => {
      const p = file('keyed.txt.gz', zlib.gzipSync('c\t1 1\na\t2 2\n'));
      const f = await load(p);
      expect(Array.from(f.data)).to.deep.equal([2, 2, 0, 0, 1, 1, 0, 0]);
      expect(Array.from(f.mask)).to.deep.equal([1, 0, 1, 0]);
    });

    it('checks and skips a word2vec `count dim` header line (.vec)', async () => {
      const p = file('words.vec', '2 3\nd 1 2 3\nb 4 5 6\n');
      const f = await load(p);
      expect(Array.from(f.data)).to.deep.equal([0, 0, 0, 4, 5, 6, 0, 0, 0, 1, 2, 3]);
      const wrong = file('wrong.vec', '3 3\nd 1 2 3\nb 4 5 6\n');
      expect((await rejection(load(wrong))).message).to.contain(`${wrong}:1:`).and.to.contain('header says 3 vectors');
    });

    it('accepts numeric keys in the key<TAB>values form', async () => {
      const p = file('numeric.txt', '20\t1 2\n10\t3 4\n');
      const f = await load(p, ['10', '20', '30']);
      expect(Array.from(f.data)).to.deep.equal([3, 4, 1, 2, 0, 0]);
      expect(Array.from(f.mask)).to.deep.equal([1, 1, 0]);
    });

    it('rejects a line with another number of values, naming file:line', async () => {
      const p = file('ragged.txt', 'a 1 2 3\nb 1 2 3\nc 1 2\n');
      const err = await rejection(load(p));
      expect(err).to.be.instanceOf(KgDataError);
      expect(err.message).to.contain(`${p}:3:`).and.to.contain('2 values, expected 3 as on line 1');
    });

    it('rejects NaN/Inf values naming file, line, row and key', async () => {
      const p = file('nan.txt', 'a 1 2 3\nb 1 nan 3\n');
      const err = await rejection(load(p));
      expect(err.message).to.contain(`${p}:2:`).and.to.contain("row 1 (key 'b')").and.to.contain('NaN/Inf');
      const q = file('inf.txt', '1 2\n-Infinity 3\n1 1\n1 1\n');
      expect((await rejection(load(q))).message).to.contain(`${q}:2:`).and.to.contain('row 1').and.to.contain('NaN/Inf');
      const big = file('big.txt', 'a 1e39 1\n');
      expect((await rejection(load(big))).message).to.contain(`${big}:1:`).and.to.contain('float32 range');
    });

    it('rejects a non-number in a file without keys and a duplicated key', async () => {
      const p = file('word.txt', '1 2\n3 x\n');
      expect((await rejection(load(p))).message).to.contain(`${p}:2:`).and.to.contain("'x' is not a number");
      const d = file('dup.txt', 'a 1 2\nb 1 2\na 3 4\n');
      expect((await rejection(load(d))).message).to.contain(`${d}:3:`).and.to.contain("duplicated key 'a' (already on line 1)");
    });

    it('rejects corrupt gzip data naming the file', async () => {
      const p = file('corrupt.txt.gz', 'not gzip at all\n');
      const err = await rejection(load(p));
      expect(err.message).to.contain(p).and.to.contain('corrupt gzip data');
    });

    it('rejects an empty file', async () => {
      const p = file('empty.txt', '\n\n');
      expect((await rejection(load(p))).message).to.contain(p).and.to.contain('no vectors');
    });
  });

  describe('.f32 + .json', () => {
    const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

    it('reads rows in entity-id order without keys, gzipped or not', async () => {
      const p = file('raw.f32', bytes(matrix));
      file('raw.f32.json', JSON.stringify({ rows: 4, dim: 3 }));
      const f = await load(p);
      expect(f).to.include({ rows: 4, dim: 3, format: 'f32' });
      expect(Array.from(f.data)).to.deep.equal(Array.from(matrix));
      expect(Array.from(f.mask)).to.deep.equal([1, 1, 0, 1]);
      const gz = file('rawgz.f32.gz', zlib.gzipSync(bytes(matrix)));
      file('rawgz.f32.gz.json', JSON.stringify({ rows: 4, dim: 3 }));
      expect(Array.from((await load(gz)).data)).to.deep.equal(Array.from(matrix));
    });

    it('aligns rows by a keys file relative to the header', async () => {
      fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
      file('keys/ents.txt', 'd\nzz\nb\n');
      const p = file('keyed.f32', bytes(Float32Array.from([1, 1, 9, 9, 2, 2])));
      file('keyed.f32.json', JSON.stringify({ rows: 3, dim: 2, keys: 'keys/ents.txt' }));
      const f = await load(p);
      expect(Array.from(f.data)).to.deep.equal([0, 0, 2, 2, 0, 0, 1, 1]);
      expect(Array.from(f.mask)).to.deep.equal([0, 1, 0, 1]);
      expect(f.skippedKeys).to.equal(1);
    });

    it('rejects a size mismatch, a missing header, a wrong row count and NaN', async () => {
      const p = file('short.f32', bytes(matrix.subarray(0, 10)));
      file('short.f32.json', JSON.stringify({ rows: 4, dim: 3 }));
      expect((await rejection(load(p))).message).to.contain(p).and.to.contain('40 bytes').and.to.contain('48 bytes');
      const q = file('nohead.f32', bytes(matrix));
      expect((await rejection(load(q))).message).to.contain(q).and.to.contain('missing JSON header');
      const r = file('three.f32', bytes(matrix.subarray(0, 9)));
      file('three.f32.json', JSON.stringify({ rows: 3, dim: 3 }));
      expect((await rejection(load(r))).message).to.contain(r).and.to.contain('3 rows').and.to.contain('4 entities');
      const bad = Float32Array.from(matrix);
      bad[7] = NaN;
      const s = file('nan.f32', bytes(bad));
      file('nan.f32.json', JSON.stringify({ rows: 4, dim: 3 }));
      expect((await rejection(load(s))).message).to.contain(s).and.to.contain("row 2 (key 'c')");
      const h = file('badhead.f32', bytes(matrix));
      file('badhead.f32.json', JSON.stringify({ rows: 4, dim: 0 }));
      expect((await rejection(load(h))).message).to.contain(`${h}.json`).and.to.contain('"dim" must be a positive integer');
    });
  });

  it('rejects an unknown format and a missing file, naming the file', async () => {
    const p = file('features.bin', 'x');
    const err = await rejection(load(p));
    expect(err.message).to.contain(p).and.to.contain("unknown feature file format '.bin'");
    expect(() => featureFormat('x.csv.gz')).to.throw(/unknown feature file format '\.csv'/);
    expect(featureFormat('a/b.NPY.gz')).to.equal('npy');
    expect(featureFormat('v.vec')).to.equal('text');
    const missing = path.join(dir, 'missing.npy');
    expect((await rejection(load(missing))).message).to.contain(missing).and.to.contain('not found');
  });

  it("resolveFeatureOption: '' = dataset default, 'none' = disabled, else the path", () => {
    expect(resolveFeatureOption('', '/d/text.npy')).to.equal('/d/text.npy');
    expect(resolveFeatureOption('', undefined)).to.equal(undefined);
    expect(resolveFeatureOption('none', '/d/text.npy')).to.equal(undefined);
    expect(resolveFeatureOption(' NONE ', undefined)).to.equal(undefined);
    expect(resolveFeatureOption('my/img.npy', '/d/text.npy')).to.equal('my/img.npy');
  });

  it('registry defaults: text for both datasets, MobileNetV2 image features for WN9-IMG', () => {
    const wn = getDataset('wn9-img');
    const fb = getDataset('fb-img');
    expect(wn.defaultFeatures).to.deep.equal({ text: 'doc2vec', image: 'mobilenetv2' });
    expect(fb.defaultFeatures).to.deep.equal({ text: 'namesGlove100' });
    expect(datasetFeatureEntry(wn, 'image')?.label).to.equal('image: MobileNetV2 on one ImageNet sample image, 399 of 6,555 entities');
    expect(datasetFeatureEntry(fb, 'image')).to.equal(undefined);
    expect(datasetFeatureFile(null, 'text')).to.equal(undefined);
    for (const d of [wn, fb]) {
      for (const f of Object.values(d.textFeatures)) if (f.kind === 'vectors') expect(f.dim, f.file).to.equal(100);
    }
  });

  it('loadDatasetModalities returns [image?, text?] and says why a modality is absent', async () => {
    const img = file('img.npy');
    writeNpy(img, matrix, [4, 3]);
    const txt = file('txt.txt', 'a 1 1\nb 2 2\n');
    const logs: string[] = [];
    const both = await loadDatasetModalities(null, { imageFeatures: img, textFeatures: txt }, ENTITIES, { log: (m) => logs.push(m) });
    expect(both.map((m) => [m.modality, m.dim, m.source])).to.deep.equal([
      ['image', 3, img],
      ['text', 2, txt],
    ]);
    const textOnly = await loadDatasetModalities(null, { imageFeatures: 'none', textFeatures: txt }, ENTITIES, { log: (m) => logs.push(m) });
    expect(textOnly.map((m) => m.modality)).to.deep.equal(['text']);
    expect(logs.join('\n')).to.contain('image features: none (disabled by --image-features none)');
    expect(await loadDatasetModalities(undefined, { imageFeatures: '', textFeatures: '' }, ENTITIES)).to.deep.equal([]);
  });

  it('featureNorm l2 scales every present row of every modality to unit norm, keeps missing rows zero and says so', async () => {
    const img = file('img-norm.npy');
    writeNpy(img, matrix, [4, 3]);
    const txt = file('txt-norm.txt', 'a 3 4\nc 0 2\n');
    const logs: string[] = [];
    const [image, text] = await loadDatasetModalities(null, { imageFeatures: img, textFeatures: txt, featureNorm: 'l2' }, ENTITIES, { log: (m) => logs.push(m) });
    for (const f of [image, text]) {
      for (let r = 0; r < f.rows; r++) {
        const row = Array.from(f.data.subarray(r * f.dim, (r + 1) * f.dim));
        const norm = Math.hypot(...row);
        if (f.mask[r]) expect(norm, `${f.modality} row ${r}`).to.be.closeTo(1, 1e-6);
        else expect(row.every((v) => v === 0), `${f.modality} row ${r}`).to.equal(true);
      }
      expect(f.source).to.match(/, rows L2-normalised$/);
    }
    // direction kept: row 0 of the image is (1, 2, 3) / sqrt(14)
    expect(image.data[2]).to.be.closeTo(3 / Math.sqrt(14), 1e-6);
    expect(Array.from(text.data.subarray(0, 2))).to.deep.equal([Math.fround(0.6), Math.fround(0.8)]);
    expect(logs.filter((m) => m.includes('unit L2 norm'))).to.have.length(2);
    const raw = await loadDatasetModalities(null, { imageFeatures: img, textFeatures: 'none', featureNorm: 'none' }, ENTITIES);
    expect(Array.from(raw[0].data)).to.deep.equal(Array.from(matrix));
    expect(raw[0].source).to.equal(img);
  });

  it('warns when the modalities differ in scale by more than 10x, unless featureNorm is l2', async () => {
    const img = file('img-big.npy');
    writeNpy(img, Float32Array.from([30, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0]), [4, 3]); // row norms 30, 40 -> mean 35
    const txt = file('txt-small.txt', 'a 3 4\nb 0 1\n'); // row norms 5, 1 -> mean 3
    const close = file('txt-close.txt', 'a 30 0\nb 0 10\n'); // mean 20
    const logs: string[] = [];
    await loadDatasetModalities(null, { imageFeatures: img, textFeatures: txt }, ENTITIES, { log: (m) => logs.push(m) });
    expect(logs.filter((m) => m.startsWith('warning:'))).to.deep.equal([
      "warning: the modalities' mean row norms differ by 12x (image 35.0, text 3.00); the fusion weights assume comparable scales, consider --feature-norm l2",
    ]);
    logs.length = 0;
    await loadDatasetModalities(null, { imageFeatures: img, textFeatures: txt, featureNorm: 'l2' }, ENTITIES, { log: (m) => logs.push(m) });
    await loadDatasetModalities(null, { imageFeatures: img, textFeatures: close }, ENTITIES, { log: (m) => logs.push(m) });
    await loadDatasetModalities(null, { imageFeatures: 'none', textFeatures: txt }, ENTITIES, { log: (m) => logs.push(m) });
    expect(logs.filter((m) => m.startsWith('warning:'))).to.deep.equal([]);
  });

  it('loads the WN9-IMG defaults: Doc2Vec text (6555 x 100, all present) and the labelled MobileNetV2 image features (399 rows)', async function () {
    needsRealData(this, 'wn9-img');
    const ds = await loadKgDataset('wn9-img');
    const logs: string[] = [];
    const mods = await loadDatasetModalities(ds.descriptor, { imageFeatures: '', textFeatures: '' }, ds.entities, { log: (m) => logs.push(m) });
    expect(mods.map((m) => m.modality)).to.deep.equal(['image', 'text']);
    const [image, text] = mods;
    expect(image).to.include({ rows: 6555, dim: 1280, label: 'image: MobileNetV2 on one ImageNet sample image, 399 of 6,555 entities' });
    expect(presentRows(image)).to.equal(399);
    expect(modalityRecord(image)).to.match(/^image: MobileNetV2 on one ImageNet sample image, 399 of 6,555 entities \(.*mobilenetv2-direct-features\.npy\.gz\)$/);
    expect(text).to.include({ modality: 'text', rows: 6555, dim: 100 });
    expect(text.label).to.equal(undefined);
    expect(text.source).to.equal(datasetFile(getDataset('wn9-img'), 'text/textembed_6555_100_2_40.txt.gz'));
    expect(presentRows(text)).to.equal(6555);
    // first line: n12513613 <TAB> 0.0264633615 -0.0696908534 ...
    expect(ds.entities[0]).to.equal('n12513613');
    expect(text.data[0]).to.equal(Math.fround(0.0264633615));
    expect(text.data[1]).to.equal(Math.fround(-0.0696908534));
    const off = await loadDatasetModalities(ds.descriptor, { imageFeatures: 'none', textFeatures: '' }, ds.entities);
    expect(off.map((m) => m.modality)).to.deep.equal(['text']);
  });

  it('a data-home copy without the image file means no image modality, said in the log', async () => {
    const saved = process.env.MMKGE_DATA;
    const home = path.join(dir, 'home');
    const wn = path.join(home, 'wn9-img');
    fs.mkdirSync(path.join(wn, 'text'), { recursive: true });
    for (const f of ['train.txt', 'valid.txt', 'test.txt']) fs.writeFileSync(path.join(wn, f), 'a\tb\t_r\n');
    fs.writeFileSync(path.join(wn, 'text', 'textembed_6555_100_2_40.txt'), 'a\t1 2\nb\t3 4\n');
    process.env.MMKGE_DATA = home;
    try {
      const logs: string[] = [];
      const mods = await loadDatasetModalities(getDataset('wn9-img'), { imageFeatures: '', textFeatures: '' }, ['a', 'b'], { log: (m) => logs.push(m) });
      expect(mods.map((m) => m.modality)).to.deep.equal(['text']);
      expect(logs.join('\n')).to.contain('image features: none (the data home copy of wn9-img has no image/mobilenetv2-direct-features.npy.gz');
    } finally {
      if (saved === undefined) delete process.env.MMKGE_DATA;
      else process.env.MMKGE_DATA = saved;
    }
  });

  it('the derived WN9-IMG gloss-glove100 alternative (6555 x 100, all present)', async function () {
    needsRealData(this, 'wn9-img');
    const d = getDataset('wn9-img');
    needsWordVectors(this, featureFilePath(d, d.textFeatures.glossGlove100));
    const ids = await readIdMap(datasetFile(d, d.entityIds as string));
    const file = featureFilePath(d, d.textFeatures.glossGlove100);
    if (!fs.existsSync(file)) await prepareDatasets(['wn9-img']);
    const f = await loadModalityFeatures(file, { modality: 'text', entityIds: ids.keys });
    expect(f).to.include({ rows: 6555, dim: 100, format: 'npy' });
    expect(presentRows(f)).to.equal(6555);
  });

  it('the derived FB-IMG names default (11757 x 100, > 90% of the entities present)', async function () {
    needsRealData(this, 'fb-img');
    const d = getDataset('fb-img');
    needsWordVectors(this, featureFilePath(d, d.textFeatures.namesGlove100));
    const ids = await readIdMap(datasetFile(d, d.entityIds as string));
    const [text] = await loadDatasetModalities(d, { imageFeatures: '', textFeatures: '' }, ids.keys);
    expect(text).to.include({ modality: 'text', rows: 11757, dim: 100 });
    const present = presentRows(text);
    expect(present / 11757).to.be.greaterThan(0.9);
    expect(present).to.equal(11744); // README: 13 names have no known word (e.g. "C++", "2010", "M*A*S*H")
    // a zero row is exactly a masked one
    let zeroRows = 0;
    for (let r = 0; r < text.rows; r++) {
      let zero = true;
      for (let c = 0; c < text.dim; c++) if (text.data[r * text.dim + c] !== 0) zero = false;
      if (zero) zeroRows++;
      expect(zero ? 0 : 1).to.equal(text.mask[r]);
    }
    expect(zeroRows).to.equal(11757 - present);
  });
});
