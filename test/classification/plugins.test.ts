import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { PMRPlugin, classMeans } from '../../baselines/classification/pmr';
import { UMTPlugin } from '../../baselines/classification/umt';
import { IMMLClsPlugin } from '../../baselines/classification/imml_plugin';
import { Rng } from '../../src/rng';
import { lossAndGrads } from '../../src/params';
import { ClsTrainer } from '../../src/app/classification/train';
import type { StepContext } from '../../src/classification/types';
import { tinyConfig, tinyData, useWasm } from './helpers';

describe('PMR', function () {
  before(useWasm);

  it('prototype logits are minus the Euclidean distance to each class prototype', () => {
    const pmr = new PMRPlugin([2, 2], 2, {}, new Rng(1));
    pmr.prototypes = [Float32Array.from([0, 0, 3, 4]), Float32Array.from([1, 1, 1, 1])];
    const s = pmr.prototypeLogits(tf.tensor2d([[0, 0], [3, 0]]), 0).dataSync();
    const expected = [0, -5, -3, -4];
    for (let i = 0; i < 4; i++) expect(s[i]).to.be.closeTo(expected[i], 1e-3);
  });

  it('class means skip absent classes (fallback) and average the rest', () => {
    const m = classMeans(Float32Array.from([1, 2, 3, 4]), [0, 0], 2, 2, Float32Array.from([9, 9, 7, 7]));
    expect(Array.from(m)).to.deep.equal([2, 3, 7, 7]);
  });

  it('adds alpha * prototype CE of the weaker modality only', () => {
    const pmr = new PMRPlugin([2, 2], 2, { alpha: 2 }, new Rng(1));
    pmr.prototypes = [Float32Array.from([-1, 0, 1, 0]), Float32Array.from([0, 0, 0, 0.01])];
    const strong = tf.tensor2d([[-1, 0], [1, 0]]); // modality 0 sits on its prototypes: high score
    const weak = tf.tensor2d([[0, 0], [0, 0]]); // modality 1 cannot tell the classes apart
    const ctx: StepContext = { epoch: 0, training: true, rows: Int32Array.from([0, 1]), labels: Int32Array.from([0, 1]), numClasses: 2, sink: new Map() };
    const loss = pmr.loss({ raw: [strong, weak], fused: [strong, weak] }, { scores: strong, parts: {} }, {} as never, {}, ctx).dataSync()[0];
    const ce1 = tf.tidy(() => {
      const s = pmr.prototypeLogits(weak, 1);
      return -tf.mean(tf.sum(tf.mul(tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2).toFloat(), tf.logSoftmax(s)), 1)).dataSync()[0];
    });
    expect(loss).to.be.closeTo(2 * ce1, 1e-4);
    expect(pmr.report().pmrStepsOnModality1).to.equal(1);
    expect(pmr.report().pmrStepsOnModality0).to.equal(0);
  });

  it('trains with L-f on toy data and keeps prototypes of the right size', async () => {
    const t = new ClsTrainer(tinyConfig({ model: 'late-fusion', plugins: ['pmr'], epochs: 2 }), tinyData({ attributes: true }));
    await t.fit();
    const pmr = t.plugins[0] as PMRPlugin;
    expect(pmr.prototypes.map((p) => p.length)).to.deep.equal([2 * t.encoders[0].dim, 2 * t.encoders[1].dim]);
  });
});

describe('UMT', function () {
  this.timeout(30000);
  before(useWasm);

  it('trains frozen uni-modal teachers first and distils their features', async () => {
    const t = new ClsTrainer(tinyConfig({ model: 'qmf', plugins: ['umt'], epochs: 2 }), tinyData({ attributes: true }));
    const umt = t.plugins[0] as UMTPlugin;
    const origBefore = umt.beforeTraining.bind(umt);
    let snapshot: Float32Array[] = [];
    umt.beforeTraining = async (host) => {
      await origBefore(host);
      snapshot = umt.teacher.map((f) => f.slice());
    };
    const names = t.store.names();
    await t.fit();
    expect(snapshot.length).to.equal(2);
    snapshot.forEach((s, m) => {
      expect(s.length).to.equal(t.data.train.size * t.encoders[m].dim);
      expect(Array.from(umt.teacher[m])).to.deep.equal(Array.from(s)); // frozen: unchanged by the student's training
    });
    expect(t.store.names()).to.deep.equal(names); // the teachers' parameters are not the student's
    // the distillation term is a positive MSE for features away from the teacher's
    const ctx: StepContext = { epoch: 0, training: true, rows: Int32Array.from([0, 1]), labels: Int32Array.from([0, 1]), numClasses: 2, sink: new Map() };
    umt.beforeStep(ctx);
    const zero = t.encoders.map((e) => tf.zeros([2, e.dim]) as tf.Tensor2D);
    const l = umt.loss({ raw: zero, fused: zero }, { scores: zero[0], parts: {} }, t.model, {}, ctx).dataSync()[0];
    expect(l).to.be.greaterThan(0);
  });
});

describe('IMML on classification models', function () {
  this.timeout(30000);
  before(useWasm);

  function oneStepLoss(model: string, plugins: string[], imml: Record<string, unknown> = {}) {
    const t = new ClsTrainer(tinyConfig({ model, plugins, seed: 5, imml: imml as never }), tinyData({ attributes: true }));
    const rows = Int32Array.from({ length: 16 }, (_, i) => i);
    const split = t.data.train;
    const ctx: StepContext = { epoch: 1, training: true, rows, labels: Int32Array.from(rows, (r) => split.labels[r]), numClasses: 2, sink: new Map() };
    const batches = t.encoders.map((e) => e.batch(split, rows, false));
    const parts: Record<string, number> = {};
    const { loss } = lossAndGrads(t.store, [], (_i, p) => {
      const raw = batches.map((b) => b.features([], p));
      const fused = t.plugins.find((x) => x.weigh)?.weigh!(raw, p) ?? raw;
      const out = t.model.fuse(fused, p, ctx);
      const base = t.model.loss(out, p, ctx);
      parts.base = base.dataSync()[0];
      let total = base;
      for (const pl of t.plugins) total = tf.add(total, pl.loss({ raw, fused }, out, t.model, p, ctx)) as tf.Scalar;
      return total;
    });
    const imm = t.plugins.find((x) => x.name === 'imml') as IMMLClsPlugin | undefined;
    return { loss, base: parts.base, report: imm?.report(), trainer: t };
  }

  for (const model of ['late-fusion', 'tmc', 'qmf']) {
    it(`${model} + IMML: loss = base + gamma1 L_mdke + gamma2 L_beta; ablation switches remove each term`, () => {
      const g1 = 0.3;
      const g2 = 2;
      const full = oneStepLoss(model, ['imml'], { gamma1: g1, gamma2: g2 });
      const mdke = full.report!.immlMeanMdke as number;
      const beta = full.report!.immlMeanBeta as number;
      expect(mdke).to.be.greaterThan(0);
      expect(beta).to.be.greaterThan(0);
      expect(full.loss).to.be.closeTo(full.base + g1 * mdke + g2 * beta, 1e-3);
      expect(full.trainer.store.names().filter((n) => n.startsWith('imml.'))).to.include.members(['imml.0.w', 'imml.1.w', 'imml.0.W1']);
      const noMdke = oneStepLoss(model, ['imml'], { gamma1: g1, gamma2: g2, useMdke: false });
      expect(noMdke.report!.immlMeanMdke).to.equal(0);
      expect(noMdke.loss).to.be.closeTo(noMdke.base + g2 * (noMdke.report!.immlMeanBeta as number), 1e-3);
      const noBeta = oneStepLoss(model, ['imml'], { gamma1: g1, gamma2: g2, useBeta: false });
      expect(noBeta.report!.immlMeanBeta).to.equal(0);
      expect(noBeta.loss).to.be.closeTo(noBeta.base + g1 * mdke, 1e-3);
      // with N_DK weights at their initial value 1 the base forward is unchanged
      const plain = oneStepLoss(model, []);
      expect(full.base).to.be.closeTo(plain.base, 1e-4);
    });
  }

  it('composes with another plug-in (pmr,imml) and trains', async () => {
    const t = new ClsTrainer(tinyConfig({ model: 'qmf', plugins: ['pmr', 'imml'], epochs: 2 }), tinyData({ attributes: true }));
    const fit = await t.fit();
    expect(fit.history.every((h) => Number.isFinite(h.loss))).to.equal(true);
    expect(t.plugins.map((p) => p.name)).to.deep.equal(['pmr', 'imml']);
  });
});
