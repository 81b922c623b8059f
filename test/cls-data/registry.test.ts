import { expect } from 'chai';
import * as path from 'node:path';
import * as os from 'node:os';
import { findDataFile, requireDataset } from '../../kg-data/data_home';
import { needsRealData } from '../real_data';
import { readMvsaLabelResult } from '../../cls-data/loaders';
import { CLS_DATASETS, loadClsDataset, stratifiedSplit, type ClsDatasetName } from '../../cls-data/registry';
import { labelCounts, type ClsDataset } from '../../cls-data/sample';
import { Rng } from '../../src/rng';
import { rejection } from './helpers';

/** Per split label counts in the dataset's label order. */
function counts(ds: ClsDataset) {
  const k = ds.labels.length;
  return { train: labelCounts(ds.train, k), dev: labelCounts(ds.dev, k), test: labelCounts(ds.test, k) };
}

describe('cls-data/registry on the real data (MMKGE_DATA)', () => {
  before(function () {
    needsRealData(this, ...Object.keys(CLS_DATASETS));
  });

  it('every shipped variant loads with its expected split sizes', async () => {
    for (const [name, d] of Object.entries(CLS_DATASETS)) {
      for (const [variant, v] of Object.entries(d.variants)) {
        const ds = await loadClsDataset(name as ClsDatasetName, { variant });
        const sizes = { train: ds.train.length, dev: ds.dev.length, test: ds.test.length };
        expect(sizes, `${name}/${variant}`).to.deep.equal({ train: v.expected.train, dev: v.expected.dev, test: v.expected.test });
        for (const [k, n] of Object.entries(v.expected.extra ?? {})) expect(ds.extraSplits[k]).to.have.length(n);
        expect(ds.name).to.equal(name);
        expect(ds.modalities).to.include('text');
        for (const s of [...ds.train, ...ds.dev, ...ds.test]) {
          expect(s.label).to.be.within(0, ds.labels.length - 1);
          expect(s.text).to.be.a('string');
        }
      }
    }
  });

  it('MVSA-Single (QMF split): 1,555/518/519, train pos 851 / neu 282 / neg 422 as in the shared README', async () => {
    const ds = await loadClsDataset('mvsa-single');
    expect(ds.labels).to.deep.equal(['positive', 'neutral', 'negative']);
    expect(counts(ds)).to.deep.equal({ train: [851, 282, 422], dev: [282, 95, 141], test: [265, 93, 161] });
    expect(ds.modalities).to.deep.equal(['text']);
    expect(ds.train[0]).to.deep.include({ id: '477', label: 0 });
    expect(ds.train[0].meta).to.deep.equal({ img: 'data/477.jpg' });
  });

  it('MVSA-Single (QMF) keeps the posts whose text and image labels agree (checked against labelResultAll.txt)', async () => {
    const ds = await loadClsDataset('mvsa-single');
    const posts = readMvsaLabelResult(findDataFile(requireDataset(CLS_DATASETS['mvsa-single']), 'qmf/labelResultAll.txt') as string);
    expect(posts.size).to.equal(4869);
    for (const s of [...ds.train, ...ds.dev, ...ds.test]) {
      const p = posts.get(s.id)!;
      expect(p, s.id).to.not.equal(undefined);
      expect([p.text, p.image]).to.deep.equal([ds.labels[s.label], ds.labels[s.label]]);
    }
  });

  it('MVSA-Single (CLMLF): 0 = positive, 1 = neutral, 2 = negative (same label as QMF for shared posts)', async () => {
    const clmlf = await loadClsDataset('mvsa-single', { variant: 'clmlf' });
    expect(counts(clmlf).train).to.deep.equal([2147, 376, 1088]);
    expect(counts(clmlf).dev).to.deep.equal([268, 47, 135]);
    const qmf = await loadClsDataset('mvsa-single');
    const qmfLabel = new Map([...qmf.train, ...qmf.dev, ...qmf.test].map((s) => [s.id, s.label]));
    let shared = 0;
    for (const s of [...clmlf.train, ...clmlf.dev, ...clmlf.test]) {
      const q = qmfLabel.get(s.id);
      if (q === undefined) continue;
      shared++;
      expect(s.label, s.id).to.equal(q);
    }
    expect(shared).to.be.greaterThan(2000);
  });

  it('MVSA-Multiple (CLMLF): 13,624/1,700/1,700, train 9056/3528/1040', async () => {
    const ds = await loadClsDataset('mvsa-multiple');
    expect(counts(ds)).to.deep.equal({ train: [9056, 3528, 1040], dev: [1131, 440, 129], test: [1131, 440, 129] });
  });

  it('HFM: filtered split 19,816/2,410/2,409 with 1 = sarcastic and the attributes modality', async () => {
    const ds = await loadClsDataset('hfm');
    expect(ds.labels).to.deep.equal(['not-sarcastic', 'sarcastic']);
    expect(counts(ds)).to.deep.equal({ train: [11174, 8642], dev: [1451, 959], test: [1450, 959] });
    expect(ds.modalities).to.deep.equal(['text', 'attributes']);
    const first = ds.train[0];
    expect(first.id).to.equal('840006160660983809');
    const attr = first.modalities.attributes;
    expect(attr.kind).to.equal('text');
    if (attr.kind === 'text') {
      expect(attr.words).to.have.length(5);
      expect(attr.text).to.equal(attr.words!.join(' '));
    }
    const noAttr = await loadClsDataset('hfm', { attributes: false });
    expect(noAttr.modalities).to.deep.equal(['text']);
  });

  it('HFM: CLMLF labels equal the original release labels (train: label, valid/test: human label)', async () => {
    const clmlf = await loadClsDataset('hfm', { attributes: false });
    const orig = await loadClsDataset('hfm', { variant: 'original', attributes: false });
    expect(counts(orig).train).to.deep.equal([14784, 14256]);
    for (const split of ['train', 'dev', 'test'] as const) {
      const o = new Map(orig[split].map((s) => [s.id, s.label]));
      for (const s of clmlf[split]) expect(o.get(s.id), `${split} ${s.id}`).to.equal(s.label);
    }
    expect(orig.dev[0].meta).to.deep.equal({ hashtagLabel: 1 });
  });

  it('Food101: 101 classes, official test 22,715 + test_hard 4,999, train/dev BUILT from QMF dev (seeded, stratified, noted)', async () => {
    const ds = await loadClsDataset('food101');
    expect(ds.labels).to.have.length(101);
    expect(ds.labels).to.deep.equal([...ds.labels].sort());
    expect(ds.notes.join('\n')).to.match(/BUILT from .*dev\.jsonl(\.gz)? .*seed 0/);
    const c = counts(ds);
    for (let k = 0; k < 101; k++) {
      const total = c.train[k] + c.dev[k];
      expect(c.dev[k]).to.equal(Math.round(total * 0.2));
    }
    const again = await loadClsDataset('food101');
    expect(again.dev.map((s) => s.id)).to.deep.equal(ds.dev.map((s) => s.id));
    const other = await loadClsDataset('food101', { seed: 7 });
    expect(other.dev.map((s) => s.id)).to.not.deep.equal(ds.dev.map((s) => s.id));
    expect(other.dev).to.have.length(ds.dev.length);
    const testIds = new Set(ds.test.map((s) => s.id));
    for (const s of ds.extraSplits.test_hard) expect(testIds.has(s.id)).to.equal(true);
  });

  it('attaches image paths under imageRoot and reports missing images', async () => {
    const root = path.join(os.tmpdir(), 'mmkge-no-such-images');
    const err = await rejection(loadClsDataset('mvsa-single', { imageRoot: root }));
    expect(err.message).to.contain(path.join(root, 'data', '477.jpg')).and.to.contain('sample 477').and.to.contain('image file not found');
    const ds = await loadClsDataset('mvsa-single', { imageRoot: root, missingImages: 'omit' });
    expect(ds.modalities).to.deep.equal(['text']);
    expect(ds.notes.join('\n')).to.contain('2592 samples have no image file');
  });

});

describe('cls-data/registry names', () => {
  it('rejects unknown names and variants before looking for data', async () => {
    expect((await rejection(loadClsDataset('mvsa' as ClsDatasetName))).message).to.contain("unknown classification dataset 'mvsa'");
    expect((await rejection(loadClsDataset('hfm', { variant: 'qmf' }))).message).to.contain("unknown variant 'qmf'");
  });
});

describe('cls-data/registry stratifiedSplit', () => {
  it('holds out round(n_k * f) of each label, keeps input order, and is seeded', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ label: i % 3, i }));
    const a = stratifiedSplit(items, 0.2, new Rng(1));
    expect(a.held.length + a.kept.length).to.equal(50);
    expect(labelCounts(a.held as never, 3)).to.deep.equal([3, 3, 3]); // 17, 17, 16 samples -> 3.4, 3.4, 3.2 -> 3 each
    for (const part of [a.held, a.kept]) for (let j = 1; j < part.length; j++) expect(part[j].i).to.be.greaterThan(part[j - 1].i);
    expect(stratifiedSplit(items, 0.2, new Rng(1)).held).to.deep.equal(a.held);
    expect(stratifiedSplit(items, 0.2, new Rng(2)).held).to.not.deep.equal(a.held);
    expect(() => stratifiedSplit(items, 1, new Rng(1))).to.throw(/fraction/);
  });
});
