import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadKgDataset } from '../../kg-data/loader';
import { KgDataError } from '../../kg-data/triples_reader';
import { fixture, rejection } from './helpers';

describe('kg-data/loader', () => {
  it('loads a directory of .tsv splits, ids in first-appearance order over train', async () => {
    const ds = await loadKgDataset(fixture('tiny'));
    expect(ds.entities).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(ds.relations).to.deep.equal(['r1', 'r2']);
    expect(Array.from(ds.train)).to.deep.equal([0, 0, 1, 1, 0, 2, 2, 1, 3, 3, 1, 0, 0, 1, 2, 1, 0, 3]);
    expect(Array.from(ds.valid)).to.deep.equal([0, 0, 2]);
    expect(Array.from(ds.test)).to.deep.equal([2, 0, 3]);
    expect(ds.entityIndex.get('c')).to.equal(2);
    expect(ds.relationIndex.get('r2')).to.equal(1);
    expect(ds.entityNames).to.equal(undefined);
    expect(ds.columns).to.equal('hrt');
    expect(ds.files.train).to.equal(fixture('tiny', 'train.tsv'));
    expect(ds.name).to.equal(fixture('tiny'));
  });

  it('reads the column order from dataset.json and handles CRLF / bare CR', async () => {
    const ds = await loadKgDataset(fixture('htr_crlf'));
    expect(ds.columns).to.equal('htr');
    expect(ds.entities).to.deep.equal(['x', 'y', 'z']);
    expect(ds.relations).to.deep.equal(['p', 'q']);
    expect(Array.from(ds.train)).to.deep.equal([0, 0, 1, 1, 0, 2, 2, 1, 0, 0, 1, 0]);
    expect(Array.from(ds.valid)).to.deep.equal([1, 0, 0]);
    expect(Array.from(ds.test)).to.deep.equal([2, 1, 1]);
  });

  it('lets options.columns override dataset.json', async () => {
    // Read as h,r,t, the h,t,r lines "x y p", "y z p", "z x q", "x x q" have relations y, z, x.
    const ds = await loadKgDataset(fixture('htr_crlf'), { columns: 'hrt' });
    expect(ds.columns).to.equal('hrt');
    expect(ds.relations).to.deep.equal(['y', 'z', 'x']);
    expect(ds.entities).to.deep.equal(['x', 'p', 'y', 'z', 'q']);
  });

  it('loads gzipped splits with and without extension, and takes ids from the id files', async () => {
    const ds = await loadKgDataset(fixture('gz'));
    expect(ds.entities).to.deep.equal(['b', 'a', 'c']);
    expect(ds.relations).to.deep.equal(['r', 's']);
    expect(Array.from(ds.train)).to.deep.equal([1, 0, 0, 0, 1, 2, 1, 0, 0]); // duplicate kept
    expect(Array.from(ds.valid)).to.deep.equal([2, 0, 1]);
    expect(Array.from(ds.test)).to.deep.equal([0, 1, 1]);
    expect(ds.files.valid).to.equal(fixture('gz', 'valid.gz'));
    expect(ds.files.test).to.equal(fixture('gz', 'test.tsv.gz'));
    expect(ds.files.entityIds).to.equal(fixture('gz', 'entity2id.txt.gz'));
  });

  it('rejects an entity of valid unseen in train, naming file, line and key', async () => {
    const file = fixture('bad_unknown_entity', 'valid.txt');
    const err = await rejection(loadKgDataset(fixture('bad_unknown_entity')));
    expect(err).to.be.instanceOf(KgDataError);
    expect(err.message).to.contain(`${file}:2:`).and.to.contain("unknown entity 'zz'").and.to.contain('valid');
  });

  it('rejects a relation of test unseen in train (files without extension)', async () => {
    const file = fixture('bad_unknown_relation', 'test');
    const err = await rejection(loadKgDataset(fixture('bad_unknown_relation')));
    expect(err.message).to.contain(`${file}:2:`).and.to.contain("unknown relation 'r9'");
  });

  it('rejects a key missing from a present id file, even in train', async () => {
    const file = fixture('bad_id_unknown', 'train.txt');
    const err = await rejection(loadKgDataset(fixture('bad_id_unknown')));
    expect(err.message).to.contain(`${file}:2:`).and.to.contain("unknown entity 'q'").and.to.contain('entity2id.txt');
  });

  it('rejects an empty split naming the file and line', async () => {
    const file = fixture('bad_empty_split', 'test.txt');
    const err = await rejection(loadKgDataset(fixture('bad_empty_split')));
    expect(err.message).to.contain(`${file}:2:`).and.to.contain('empty split');
  });

  it('rejects a malformed line naming the file and line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-malformed-'));
    try {
      for (const s of ['train', 'valid', 'test']) fs.writeFileSync(path.join(dir, `${s}.txt`), 'a\tr\tb\n');
      fs.writeFileSync(path.join(dir, 'valid.txt'), 'a\tr\tb\n\na r b\n');
      const err = await rejection(loadKgDataset(dir));
      expect(err.message).to.contain(`${path.join(dir, 'valid.txt')}:3:`).and.to.contain('malformed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a directory without a test split, listing the names tried', async () => {
    const dir = fixture('bad_missing_split');
    const err = await rejection(loadKgDataset(dir));
    expect(err.message).to.contain(dir).and.to.contain('no test split file').and.to.contain('test.txt.gz');
  });

  it('rejects a missing file named in dataset.json', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-json-'));
    try {
      for (const s of ['train', 'valid', 'test']) fs.writeFileSync(path.join(dir, `${s}.txt`), 'a\tr\tb\n');
      fs.writeFileSync(path.join(dir, 'dataset.json'), '{\n  "columns": "hrt",\n  "entityNames": "names.txt"\n}\n');
      let err = await rejection(loadKgDataset(dir));
      expect(err.message).to.contain(path.join(dir, 'dataset.json')).and.to.contain("'names.txt' not found");
      fs.writeFileSync(path.join(dir, 'dataset.json'), '{\n  "columns": "hrx"\n}\n');
      err = await rejection(loadKgDataset(dir));
      expect(err.message).to.contain(`${path.join(dir, 'dataset.json')}:2:`).and.to.contain('not a permutation');
      fs.writeFileSync(path.join(dir, 'dataset.json'), '{\n  "colums": "hrt"\n}\n');
      err = await rejection(loadKgDataset(dir));
      expect(err.message).to.contain(`${path.join(dir, 'dataset.json')}:2:`).and.to.contain('unknown key "colums"');
      fs.writeFileSync(path.join(dir, 'dataset.json'), '{\n  "columns": "hrt",\n}\n');
      err = await rejection(loadKgDataset(dir));
      expect(err.message).to.contain(path.join(dir, 'dataset.json')).and.to.contain('invalid JSON');
      fs.writeFileSync(path.join(dir, 'names.txt'), 'a\tAlpha\n');
      fs.writeFileSync(path.join(dir, 'dataset.json'), '{"entityNames": "names.txt", "name": "mine"}');
      const ds = await loadKgDataset(dir);
      expect(ds.name).to.equal('mine');
      expect(ds.entityNames).to.deep.equal(['Alpha', 'b']);
      expect(ds.unnamedEntities).to.equal(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects two candidate files for one split as ambiguous', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-amb-'));
    try {
      for (const s of ['train', 'valid', 'test']) fs.writeFileSync(path.join(dir, `${s}.txt`), 'a\tr\tb\n');
      fs.writeFileSync(path.join(dir, 'train.tsv'), 'a\tr\tb\n');
      const err = await rejection(loadKgDataset(dir));
      expect(err.message).to.contain('ambiguous train file').and.to.contain('train.txt, train.tsv');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown name that is not a directory, listing the known datasets', async () => {
    const err = await rejection(loadKgDataset('wn18-img'));
    expect(err.message).to.contain("'wn18-img'").and.to.contain('wn9-img, fb-img').and.to.contain('directory');
  });
});
