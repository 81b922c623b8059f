import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { attachFeatures, defaultIdsFile, loadSampleFeatures } from '../../cls-data/features';
import { ClsDataError, type Sample } from '../../cls-data/sample';
import { writeNpy } from '../../src/npy';
import { removeTmpDirs, thrown, tmpDir, writeFile } from './helpers';

/** A float64 .npy [rows, cols] written by hand (writeNpy only writes float32). */
function float64Npy(values: number[], rows: number, cols: number): Buffer {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => body.writeDoubleLE(v, 8 * i));
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

describe('cls-data/features loadSampleFeatures', () => {
  after(removeTmpDirs);

  it('reads float32 .npy with its default ids file, keyed by id, only the requested rows', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'resnet.npy');
    writeNpy(file, Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    writeFile(dir, 'resnet.ids.txt', 'a\nb\r\nc\n');
    expect(defaultIdsFile(file)).to.equal(path.join(dir, 'resnet.ids.txt'));
    const f = loadSampleFeatures(file, ['c', 'a']);
    expect(f.dim).to.equal(2);
    expect([...f.byId.keys()].sort()).to.deep.equal(['a', 'c']);
    expect(Array.from(f.byId.get('c')!)).to.deep.equal([5, 6]);
    expect(f.source).to.equal(file);
  });

  it('reads gzipped float64 .npy with an explicit ids file', () => {
    const dir = tmpDir();
    const file = writeFile(dir, 'bert.npy.gz', float64Npy([0.5, -1.25, 2, 3], 2, 2));
    const ids = writeFile(dir, 'order.txt', 'x\ny\n');
    const f = loadSampleFeatures(file, ['y'], { idsFile: ids, dim: 2 });
    expect(Array.from(f.byId.get('y')!)).to.deep.equal([2, 3]);
    expect(defaultIdsFile(file)).to.equal(path.join(dir, 'bert.ids.txt'));
  });

  it('reads jsonl {"id", "feature"} (integer ids accepted)', () => {
    const dir = tmpDir();
    const file = writeFile(dir, 'f.jsonl', '{"id": "p", "feature": [1, 2, 3]}\n{"id": 7, "feature": [4, 5, 6.5]}\n');
    const f = loadSampleFeatures(file, ['7', 'p']);
    expect(f.dim).to.equal(3);
    expect(Array.from(f.byId.get('7')!)).to.deep.equal([4, 5, 6.5]);
  });

  it('errors: missing id, wrong dimension, bad values, ids/rows mismatch, duplicates, unknown type', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'm.npy');
    writeNpy(file, Float32Array.from([1, 2, 3, 4]), [2, 2]);
    writeFile(dir, 'm.ids.txt', 'a\nb\n');
    let e = thrown(() => loadSampleFeatures(file, ['a', 'zz']));
    expect(e).to.be.instanceOf(ClsDataError);
    expect(e.message).to.equal(`${file}: sample zz: no feature vector for this sample (not in ${path.join(dir, 'm.ids.txt')})`);
    expect(thrown(() => loadSampleFeatures(file, ['a'], { dim: 3 })).message).to.equal(`${file}: feature dimension 2, expected 3`);
    writeFile(dir, 'm.ids.txt', 'a\nb\nc\n');
    expect(thrown(() => loadSampleFeatures(file, ['a'])).message).to.equal(`${path.join(dir, 'm.ids.txt')}: 3 ids but ${file} has 2 rows`);
    writeFile(dir, 'm.ids.txt', 'a\na\n');
    expect(thrown(() => loadSampleFeatures(file, ['a'])).message).to.equal(`${path.join(dir, 'm.ids.txt')}:2: duplicate id 'a' (first at line 1)`);
    fs.rmSync(path.join(dir, 'm.ids.txt'));
    expect(thrown(() => loadSampleFeatures(file, ['a'])).message).to.contain(`${file}: ids file ${path.join(dir, 'm.ids.txt')} not found`);
    const vec = path.join(dir, 'v.npy');
    writeNpy(vec, Float32Array.from([1, 2]), [2]);
    writeFile(dir, 'v.ids.txt', 'a\nb\n');
    expect(thrown(() => loadSampleFeatures(vec, ['a'])).message).to.equal(`${vec}: expected a 2-D [n, d] matrix, got shape [2]`);
    const nan = path.join(dir, 'n.npy');
    writeNpy(nan, Float32Array.from([1, NaN]), [1, 2]);
    writeFile(dir, 'n.ids.txt', 'q\n');
    expect(thrown(() => loadSampleFeatures(nan, ['q'])).message).to.equal(`${nan}: sample q: non-finite value at row 0, column 1`);
    const garbage = writeFile(dir, 'g.npy', 'not numpy');
    writeFile(dir, 'g.ids.txt', 'a\n');
    expect(thrown(() => loadSampleFeatures(garbage, ['a'])).message).to.equal(`${garbage}: not a .npy file (bad magic)`);

    const jl = writeFile(dir, 'f.jsonl', '{"id": "a", "feature": [1, 2]}\n{"id": "b", "feature": [1, 2, 3]}\n');
    expect(thrown(() => loadSampleFeatures(jl, ['a'])).message).to.equal(`${jl}:2: sample b: feature has 3 values, expected 2 (as on line 1)`);
    const jl2 = writeFile(dir, 'g.jsonl', '{"id": "a", "feature": [1, "x"]}\n');
    expect(thrown(() => loadSampleFeatures(jl2, ['a'])).message).to.equal(`${jl2}:1: sample a: value 1 is not a finite number ("x")`);
    const jl3 = writeFile(dir, 'h.jsonl', '{"id": "a", "feature": [1]}\n{"id": "a", "feature": [2]}\n');
    expect(thrown(() => loadSampleFeatures(jl3, ['a'])).message).to.equal(`${jl3}:2: duplicate id 'a' (first at line 1)`);
    const jl4 = writeFile(dir, 'i.jsonl', '{"id": "a", "feature": [1]}\n');
    expect(thrown(() => loadSampleFeatures(jl4, ['b'])).message).to.equal(`${jl4}: sample b: no feature vector for this sample (no line with this id)`);
    expect(thrown(() => loadSampleFeatures(path.join(dir, 'x.csv'), ['a'])).message).to.contain('unknown feature file type');
    const gz = writeFile(dir, 'j.jsonl.gz', '{"id": "a", "feature": [9]}\n');
    expect(Array.from(loadSampleFeatures(gz, ['a']).byId.get('a')!)).to.deep.equal([9]);
    expect(zlib.gunzipSync(fs.readFileSync(gz)).toString()).to.contain('"a"');
  });

  it('attachFeatures adds a features modality without mutating, and errors on a missing sample', () => {
    const s: Sample = { id: 'a', label: 0, text: 't', modalities: { text: { kind: 'text', text: 't' } } };
    const feats = { dim: 1, byId: new Map([['a', Float32Array.from([3])]]), source: 'src.npy' };
    const [out] = attachFeatures([s], 'image', feats);
    expect(out.modalities.image).to.deep.equal({ kind: 'features', data: Float32Array.from([3]), source: 'src.npy' });
    expect(s.modalities).to.not.have.property('image');
    expect(thrown(() => attachFeatures([{ ...s, id: 'b' }], 'image', feats)).message).to.equal('src.npy: sample b: no feature vector for this sample');
  });
});
