/**
 * The fused multimodal negative-sampling step's head-query path (a positive's tail-corrupted
 * negatives scored from its h + r, computed once) must train to the very same bits as the
 * per-triple kernel path: same tables, relation rows and dense parameters after several steps.
 * Per-term training (`perTermLoss`): the kernels' term methods against finite differences and the
 * whole score, and the step against whole-energy training where the two must agree.
 */
import { expect } from 'chai';
import { selectBackend } from '../../src/backend';
import { Rng } from '../../src/rng';
import type { ModalityFeatures } from '../../src/modality';
import { hasHeadQueries, type MultimodalKgModel } from '../../src/multimodal';
import { createMultimodalModel } from '../../baselines/kg/multimodal_registry';
import { FusedMultimodalNegativeSamplingStep } from '../../src/train/fused_multimodal_ns';
import { createLoss } from '../../src/losses';
import { NegativeSampler } from '../../src/sampling';
import { createOptimizer, type SparseOptimizer } from '../../src/optim';
import { DenseOptimizer } from '../../src/params';
import { isTermKernel, type TripleKernel } from '../../src/scorer';

const NE = 40;
const NR = 4;
const DIM = 6;

function features(modality: string, dim: number, present: number, rng: Rng): ModalityFeatures {
  const mask = new Uint8Array(NE);
  const data = new Float32Array(NE * dim);
  for (let e = 0; e < NE; e++) {
    if (rng.next() >= present) continue;
    mask[e] = 1;
    for (let j = 0; j < dim; j++) data[e * dim + j] = 2 * rng.next() - 1;
  }
  return { modality, source: `random (${modality})`, rows: NE, dim, data, mask };
}

/** The model with its fused kernel stripped of head queries (score/backward per triple only). */
function withoutHeadQueries(model: MultimodalKgModel): MultimodalKgModel {
  const enc = model.fusedEncoder!;
  const k = enc.kernel;
  const plain: TripleKernel = { score: k.score.bind(k), backward: k.backward.bind(k) };
  return Object.create(model, { fusedEncoder: { value: { ...enc, kernel: plain } } }) as MultimodalKgModel;
}

/**
 * Plain SGD (x -= lr g): unlike Adagrad's and Adam's first steps (~lr sign(g)) it keeps two float
 * orders of the same gradient sum close, where a sum that cancels to 0 in one order and to 1e-9 in
 * the other would otherwise take a full step.
 */
function plainSgd(numRows: number, width: number, lr: number): SparseOptimizer {
  return {
    name: 'sgd', numRows, width, lr,
    step(table: Float32Array, w: number, rows: Int32Array, count: number, grads: Float32Array): void {
      for (let i = 0; i < count; i++) for (let c = 0; c < w; c++) table[rows[i] * w + c] -= lr * grads[i * w + c];
    },
  } as SparseOptimizer;
}

function plainDenseSgd(model: MultimodalKgModel, lr: number): DenseOptimizer {
  return {
    step(grads: Readonly<Record<string, Float32Array>>): void {
      for (const [name, g] of Object.entries(grads)) {
        const p = model.params.get(name).data;
        for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
      }
    },
  } as unknown as DenseOptimizer;
}

/** Tables, relation rows and dense parameters after `steps` batches of the fused step. */
function train(name: string, stripQueries: boolean, steps: number, loss = createLoss('nssa', { margin: 2, gamma: 2, adversarialTemperature: 0.5 }), perTermLoss = false, sgd = false): Float32Array[] {
  const rng = new Rng(11);
  const feats = [features('image', 7, 0.3, rng.derive('image')), features('text', 5, 0.8, rng.derive('text'))];
  const built = createMultimodalModel(name, {
    dim: DIM, norm: 1, margin: 2, modalities: feats, imageWeight: 0.1, textWeight: 0.7,
    otScale: 100, otEpsilon: 10, otIterations: 30, auxWeight: 0.5, rng: rng.derive('model'),
  });
  const model = stripQueries ? withoutHeadQueries(built) : built;
  const entities = new Float32Array(NE * model.structuralWidth);
  const relations = new Float32Array(NR * model.scorer.relationWidth);
  model.initStructural(entities, NE, rng.derive('structural'));
  model.initRelations(relations, NR, rng.derive('relations'));
  const tables = { entities, relations, numEntities: NE, numRelationRows: NR };
  const step = new FusedMultimodalNegativeSamplingStep({
    model, tables, n3Weight: 0, auxWeight: 0.5, complexRows: false,
    entityOptimizer: sgd ? plainSgd(NE, model.structuralWidth, 0.05) : createOptimizer('adagrad', NE, model.structuralWidth, { lr: 0.05 }),
    relationOptimizer: sgd ? plainSgd(NR, model.scorer.relationWidth, 0.05) : createOptimizer('adagrad', NR, model.scorer.relationWidth, { lr: 0.05 }),
    paramOptimizer: sgd ? plainDenseSgd(model, 0.01) : new DenseOptimizer(model.params, 'adagrad', 0.01),
    loss,
    sampler: new NegativeSampler(NE, 5, 'uniform', undefined, rng.derive('sampler')),
    negatives: 5, perTermLoss,
  });
  const B = 16;
  const batch = new Int32Array(3 * B);
  const data = rng.derive('batches');
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < B; i++) {
      batch[3 * i] = data.int(NE);
      batch[3 * i + 1] = data.int(NR);
      // a self-loop now and then (h == t: head and tail share a slot)
      batch[3 * i + 2] = i % 7 === 0 ? batch[3 * i] : data.int(NE);
    }
    const loss = step.run(batch, B);
    expect(Number.isFinite(loss), `loss at step ${s}`).to.equal(true);
  }
  step.dispose();
  return [entities, relations, ...model.params.names().map((n) => model.params.get(n).data)];
}

describe('fused multimodal negative-sampling step: head queries', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  for (const name of ['ikrl', 'tbkge', 'mmkrl', 'transae']) {
    it(`${name}: the head-query path trains to the same bits as the per-triple kernel`, () => {
      const probe = createMultimodalModel(name, {
        dim: DIM, norm: 1, margin: 2, modalities: [features('text', 5, 1, new Rng(1))], imageWeight: 0.1, textWeight: 0.7,
        otScale: 100, otEpsilon: 10, otIterations: 30, auxWeight: 0.5, rng: new Rng(2),
      });
      expect(hasHeadQueries(probe.fusedEncoder!.kernel), `${name}'s fused kernel has head queries`).to.equal(true);
      const fast = train(name, false, 6);
      const plain = train(name, true, 6);
      fast.forEach((a, i) => {
        const j = a.findIndex((v, k) => !Object.is(v, plain[i][k]));
        expect(j, `array ${i}: first differing float`).to.equal(-1);
      });
      // and the steps moved every array (the comparison is not between two untouched inits)
      const init = train(name, false, 0);
      fast.forEach((a, i) => expect(a.some((v, k) => v !== init[i][k]), `array ${i} changed`).to.equal(true));
    });
  }
});

describe('fused multimodal negative-sampling step: one loss per energy term', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  const modelOf = (name: string): MultimodalKgModel => createMultimodalModel(name, {
    dim: DIM, norm: 1, margin: 2, modalities: [features('text', 5, 1, new Rng(1))], imageWeight: 0.1, textWeight: 0.7,
    otScale: 100, otEpsilon: 10, otIterations: 30, auxWeight: 0.5, rng: new Rng(2),
  });

  for (const name of ['ikrl', 'tbkge', 'mmkrl']) {
    it(`${name}: the terms sum to the score, and each term's backward is its finite-difference gradient`, () => {
      const kernel = modelOf(name).fusedEncoder!.kernel;
      if (!isTermKernel(kernel)) throw new Error(`${name}'s fused kernel scores no terms`);
      const W = 2 * DIM;
      const rng = new Rng(5);
      const E = Float32Array.from({ length: 3 * W }, () => 2 * rng.next() - 1);
      const R = Float32Array.from({ length: DIM }, () => 2 * rng.next() - 1);
      const [h, t] = [0, 2 * W];
      let sum = 0;
      for (let j = 0; j < kernel.termCount; j++) sum += kernel.scoreTerm(j, E, h, R, 0, t);
      expect(sum).to.be.closeTo(kernel.score(E, h, R, 0, t), 1e-5);
      const eps = 1e-4; // below every |D| of these rows: no kink inside [x - eps, x + eps]
      for (let j = 0; j < kernel.termCount; j++) {
        const gE = new Float32Array(E.length);
        const gR = new Float32Array(R.length);
        kernel.backwardTerm(j, E, h, R, 0, t, 1, gE, h, t, gR, 0);
        const fd = (x: Float32Array, i: number): number => {
          const v = x[i];
          x[i] = v + eps;
          const up = kernel.scoreTerm(j, E, h, R, 0, t);
          x[i] = v - eps;
          const down = kernel.scoreTerm(j, E, h, R, 0, t);
          x[i] = v;
          return (up - down) / (2 * eps);
        };
        for (let i = 0; i < E.length; i++) {
          if (i >= W && i < 2 * W) continue; // the middle row is neither h nor t
          expect(gE[i], `term ${j}, entity value ${i}`).to.be.closeTo(fd(E, i), 2e-3);
        }
        for (let i = 0; i < R.length; i++) expect(gR[i], `term ${j}, relation value ${i}`).to.be.closeTo(fd(R, i), 2e-3);
      }
    });
  }

  it('ikrl weighs its cross terms at half (the official code steps them at rate_m = 0.5 rate)', () => {
    const kernel = modelOf('ikrl').fusedEncoder!.kernel;
    expect(isTermKernel(kernel) && kernel.termLossWeights).to.deep.equal([1, 0.5, 0.5, 1]);
  });

  for (const name of ['tbkge', 'mmkrl']) {
    it(`${name}: with a hinge that is always active, one hinge per term trains as one hinge on the whole energy`, () => {
      // sum_j (m - pos_j + neg_j) = J m - pos + neg: the same gradients as the margin J m on the sum
      const J = (modelOf(name).fusedEncoder!.kernel as unknown as { termCount: number }).termCount;
      const perTerm = train(name, false, 4, createLoss('margin', { margin: 1000 }), true, true);
      const whole = train(name, false, 4, createLoss('margin', { margin: 1000 * J }), false, true);
      perTerm.forEach((a, i) => a.forEach((v, k) => expect(v, `array ${i}, value ${k}`).to.be.closeTo(whole[i][k], 1e-4)));
      const init = train(name, false, 0, undefined, false, true);
      perTerm.forEach((a, i) => expect(a.some((v, k) => v !== init[i][k]), `array ${i} changed`).to.equal(true));
    });
  }

  it('a model without term scores is one error naming perTermLoss', () => {
    expect(() => train('transae', false, 1, createLoss('margin', { margin: 1 }), true)).to.throw(/perTermLoss needs a model whose fused kernel scores its energy terms.*'transae'/);
  });
});
