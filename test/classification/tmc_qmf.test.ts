import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { digamma, lgamma, stopGradient } from '../../baselines/classification/common';
import { QMF, qmfRankLoss, qmfRankTargets } from '../../baselines/classification/qmf';
import { dsCombineTwo, klToUniformDirichlet, tmcLoss } from '../../baselines/classification/tmc';
import { ParamStore } from '../../src/params';
import { Rng } from '../../src/rng';
import type { StepContext } from '../../src/classification/types';
import { useWasm } from './helpers';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).to.equal(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).to.be.closeTo(b[i], tol);
};

describe('TMC', function () {
  before(useWasm);

  it('combines two Dirichlet opinions by the Dempster-Shafer rule (hand-computed)', () => {
    // view 1: alpha [2, 1] -> b = [1/3, 0], u = 2/3; view 2: alpha [1, 3] -> b = [0, 1/2], u = 1/2
    // conflict = 1/3 * 1/2 = 1/6; b = ([1/6, 1/3]) / (5/6) = [1/5, 2/5]; u = (1/3) / (5/6) = 2/5
    // S = 2 / u = 5; alpha = b S + 1 = [2, 3]
    const a = dsCombineTwo(tf.tensor2d([[2, 1]]), tf.tensor2d([[1, 3]]));
    close(a.dataSync(), [2, 3]);
  });

  it('digamma and log-gamma match known values', () => {
    close(digamma(tf.tensor1d([1, 2, 0.5, 10])).dataSync(), [-0.5772157, 0.4227843, -1.9635100, 2.2517526], 1e-4);
    close(lgamma(tf.tensor1d([1, 5, 0.5, 10])).dataSync(), [0, Math.log(24), 0.5723649, Math.log(362880)], 1e-4);
  });

  it('KL to the uniform Dirichlet is 0 at alpha = 1 and positive elsewhere; the loss prefers evidence on the label', () => {
    close(klToUniformDirichlet(tf.tensor2d([[1, 1, 1]])).dataSync(), [0], 1e-5);
    expect(klToUniformDirichlet(tf.tensor2d([[4, 1, 1]])).dataSync()[0]).to.be.greaterThan(0);
    const y = tf.tensor2d([[1, 0]]);
    const good = tmcLoss(tf.tensor2d([[10, 1]]), y, 1).dataSync()[0];
    const bad = tmcLoss(tf.tensor2d([[1, 10]]), y, 1).dataSync()[0];
    expect(good).to.be.lessThan(bad);
  });
});

describe('QMF', function () {
  before(useWasm);

  function identityQmf(): { model: QMF; p: Record<string, tf.Tensor> } {
    const store = new ParamStore();
    const model = new QMF({ dims: [2, 2], tokenDims: [2, 2], modalities: ['a', 'b'], numClasses: 2, trainSize: 4, store, rng: new Rng(1), options: {} });
    const p = store.tensors();
    p['head.0.W'] = tf.eye(2);
    p['head.1.W'] = tf.eye(2);
    return { model, p };
  }

  it('fuses with detached confidences: d sum(fused) / d logits_m = conf_m', () => {
    const { model, p } = identityQmf();
    const h0 = tf.tensor2d([[1, 2], [0.5, -1]]);
    const h1 = tf.tensor2d([[3, 0], [1, 1]]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(model.fuse([x as tf.Tensor2D, h1], p).scores))(h0);
    const conf = tf.div(tf.logSumExp(h0, 1, true), 10);
    close(g.dataSync(), tf.mul(conf, tf.ones([2, 2])).dataSync());
    // without detaching, the softmax term would be added: check it is not
    const undetached = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, tf.div(tf.logSumExp(x, 1, true), 10))))(h0);
    expect(Math.abs(undetached.dataSync()[0] - g.dataSync()[0])).to.be.greaterThan(1e-3);
  });

  it('stopGradient is identity forward and zero backward', () => {
    const x = tf.tensor1d([1, -2, 3]);
    close(stopGradient(x).dataSync(), [1, -2, 3]);
    close(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stopGradient(v), v)))(x).dataSync(), [1, -2, 3]);
  });

  it('ranking targets come from the min-max normalised cumulative loss (pairs i, i+1)', () => {
    // history of the batch rows [0, 1, 2] plus current losses -> c = [1, 3, 2]; others span [0, 4]
    const { target, margin } = qmfRankTargets(Float32Array.from([1, 1, 1]), Float32Array.from([0, 2, 1]), { min: 0, max: 4 });
    close(target, [-1, 1, 1]);
    close(margin, [0.5, 0.25, 0.25]);
    // loss = mean(relu(t * (conf_i - conf_{i+1} - margin / t)))
    const conf = tf.tensor1d([0.9, 0.1, 0.5]);
    const loss = qmfRankLoss(conf, target, margin).dataSync()[0];
    const expected = (Math.max(0, -1 * (0.9 - 0.1 + 0.5)) + Math.max(0, 0.1 - 0.5 - 0.25) + Math.max(0, 0.5 - 0.9 - 0.25)) / 3;
    expect(loss).to.be.closeTo(expected, 1e-6);
    // a less confident sample with a higher loss is not penalised; a confident one with a higher loss is
    const penalised = qmfRankLoss(tf.tensor1d([2, 0]), Float32Array.from([1, -1]), Float32Array.from([0.1, 0.1])).dataSync()[0];
    expect(penalised).to.be.greaterThan(0);
  });

  it('adds the ranking term in training and updates the history after the step', () => {
    const { model, p } = identityQmf();
    const hs = [tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[0.2, 0], [0, 2]])];
    const mk = (training: boolean): StepContext => ({ epoch: 0, training, rows: Int32Array.from([0, 3]), labels: Int32Array.from([0, 0]), numClasses: 2, sink: new Map() });
    const train = mk(true);
    const lossTrain = model.loss(model.fuse(hs, p), p, train).dataSync()[0];
    const lossEval = model.loss(model.fuse(hs, p), p, mk(false)).dataSync()[0];
    expect(lossTrain).to.be.at.least(lossEval);
    model.afterStep(train);
    expect(model.histories[0].cumulative[0]).to.be.greaterThan(0);
    expect(model.histories[0].cumulative[3]).to.be.greaterThan(model.histories[0].cumulative[0]);
    expect(model.histories[0].cumulative[1]).to.equal(0);
  });
});
