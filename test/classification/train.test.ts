import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { ClsTrainer, ClsTrainingDivergedError, classificationMetrics, runClassification } from '../../src/app/classification/train';
import { CnnImageEncoder } from '../../src/classification/encoders';
import { tinyConfig, tinyData, tinyDataset, useWasm } from './helpers';
import { DenseOptimizer, type OffloadedParam } from '../../src/params';
import { ClsData } from '../../src/app/classification/train';
import { WordIndex } from '../../cls-data/split_inputs';
import { tinyVocabulary } from './helpers';

describe('classification training', function () {
  this.timeout(30000);
  before(useWasm);

  it('is deterministic: the same seed gives identical numbers, another seed differs', async () => {
    const run = (seed: number) => runClassification(tinyConfig({ model: 'qmf', plugins: ['imml'], seed, epochs: 2 }), { data: tinyData({ attributes: true }) });
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(a.history.map((h) => h.loss)).to.deep.equal(b.history.map((h) => h.loss));
    expect(a.test).to.deep.equal(b.test);
    expect(a.history.map((h) => h.loss)).to.not.deep.equal(c.history.map((h) => h.loss));
  });

  it("IMML's projection heads stepped on the graph thread give the numbers of heads stepped on the host", async function () {
    const run = async (offload: (opt: DenseOptimizer, name: string) => OffloadedParam | undefined) => {
      const original = DenseOptimizer.prototype.offload;
      DenseOptimizer.prototype.offload = function (this: DenseOptimizer, name: string) {
        return offload(this, name);
      };
      try {
        return await runClassification(tinyConfig({ model: 'qmf', plugins: ['imml'], seed: 1, epochs: 2 }), { data: tinyData({ attributes: true }) });
      } finally {
        DenseOptimizer.prototype.offload = original;
      }
    };
    const original = DenseOptimizer.prototype.offload;
    let begun = 0;
    const onThread = await run((opt, name) => {
      const o = original.call(opt, name);
      return o && { ...o, begin: () => (begun++, o.begin()) };
    });
    // no ORT here (no graph thread): nothing to compare
    if (begun === 0) this.skip();
    const onHost = await run(() => undefined);
    // 8 head parameters per step, every step of both epochs
    expect(begun % 8).to.equal(0);
    expect(begun / 8).to.be.greaterThan(2);
    expect(onThread.history.map((h) => h.loss)).to.deep.equal(onHost.history.map((h) => h.loss));
    expect(onThread.history.map((h) => h.devAccuracy)).to.deep.equal(onHost.history.map((h) => h.devAccuracy));
    expect(onThread.test).to.deep.equal(onHost.test);
  });

  it('restores the best dev model and reports test accuracy and macro-F1 at each eps', async () => {
    const config = tinyConfig({ model: 'late-fusion', epochs: 3, noise: [0, 5] });
    const data = tinyData({ attributes: true });
    const r = await runClassification(config, { data });
    expect(r.test.map((t) => t.eps)).to.deep.equal([0, 5]);
    const best = Math.max(...r.history.map((h) => h.devAccuracy));
    expect(r.devAccuracy).to.equal(best);
    expect(r.bestEpoch).to.equal(r.history.find((h) => h.devAccuracy === best)!.epoch);
    // the reported numbers are those of the restored best model on the clean and the noisy test split
    const same = new ClsTrainer(config, data);
    await same.fit();
    expect(same.evaluate(data.dev).accuracy).to.equal(r.devAccuracy);
    expect(r.test).to.deep.equal([{ eps: 0, ...same.evaluate(data.test) }, { eps: 5, ...same.evaluate(data.testAt(5, config.seed)) }]);
  });

  it('noise at test: eps 5 blanks words to the unknown id 0, deterministically; eps 0 is the clean split', () => {
    const data = tinyData({ attributes: true });
    expect(data.testAt(0, 1)).to.equal(data.test);
    const a = data.testAt(5, 1);
    const cols = ['text', 'attributes'] as const;
    for (const m of cols) {
      const clean = data.test.columns[m];
      const noisy = a.columns[m];
      if (clean.kind !== 'tokens' || noisy.kind !== 'tokens') throw new Error('tokens expected');
      const blanks = noisy.ids.reduce((s, ids) => s + ids.filter((x) => x === 0).length, 0);
      expect(blanks).to.be.greaterThan(0);
      expect(clean.ids.reduce((s, ids) => s + ids.filter((x) => x === 0).length, 0)).to.equal(0);
    }
    const other = new ClsData(tinyDataset({ attributes: true }), new WordIndex(tinyVocabulary()), ['text', 'attributes'], 8).testAt(5, 1);
    const ids = (s: typeof a) => (s.columns.text.kind === 'tokens' ? s.columns.text.ids.map((x) => Array.from(x)) : []);
    expect(ids(other)).to.deep.equal(ids(a));
    expect(ids(data.testAt(5, 2))).to.not.deep.equal(ids(a));
  });

  it('a NaN loss stops training with a clear error', async () => {
    const ds = tinyDataset({ features: true });
    const f = ds.train[3].modalities.feat;
    if (f.kind === 'features') f.data[0] = NaN;
    const data = new ClsData(ds, new WordIndex(tinyVocabulary()), ['feat', 'text'], 8);
    const t = new ClsTrainer(tinyConfig({ model: 'late-fusion', batchSize: 200 }), data);
    let err: unknown;
    try {
      await t.fit();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ClsTrainingDivergedError);
    expect((err as Error).message).to.match(/diverged.*NaN.*epoch 1, step 1/);
  });

  it('the embedding bag updates only the rows of words in the batch', async () => {
    const data = tinyData({});
    const t = new ClsTrainer(tinyConfig({ model: 'bow', batchSize: 4 }), data);
    const enc = t.encoders[0] as unknown as { table: Float32Array };
    const before = enc.table.slice();
    const rows = Int32Array.from([0, 1, 2, 3]);
    const col = data.train.columns.text;
    if (col.kind !== 'tokens') throw new Error('tokens expected');
    const used = new Set<number>();
    rows.forEach((r) => col.ids[r].forEach((w) => used.add(w)));
    (t as unknown as { step(o: unknown, e: number, s: number, r: Int32Array): number }).step(new (require('../../src/params').DenseOptimizer)(t.store, 'adam', 0.01), 0, 0, rows);
    const d = 8;
    for (let w = 0; w < before.length / d; w++) {
      const changed = before.subarray(w * d, w * d + d).some((v, j) => v !== enc.table[w * d + j]);
      expect(changed).to.equal(used.has(w));
    }
  });

  it('the small CNN maps pixels to [B, D] (im2col convolution equals tf.conv2d)', () => {
    const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const ours = CnnImageEncoder.conv3x3(x, tf.reshape(k, [27, 4]) as tf.Tensor2D, tf.zeros([4]));
    const ref = tf.conv2d(x, k, 1, 'same');
    const a = ours.dataSync();
    const b = ref.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).to.be.closeTo(b[i], 1e-4);
  });

  it('metrics: accuracy and macro-F1', () => {
    const m = classificationMetrics(Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 1, 1]), 2);
    expect(m.accuracy).to.equal(0.75);
    expect(m.macroF1).to.be.closeTo((2 / 3 + 0.8) / 2, 1e-12);
  });
});
