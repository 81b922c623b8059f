/**
 * The fused multimodal negative-sampling step's head-query path (a positive's tail-corrupted
 * negatives scored from its h + r, computed once) must train to the very same bits as the
 * per-triple kernel path: same tables, relation rows and dense parameters after several steps.
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
import { createOptimizer } from '../../src/optim';
import { DenseOptimizer } from '../../src/params';
import type { TripleKernel } from '../../src/scorer';

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

/** Tables, relation rows and dense parameters after `steps` batches of the fused step. */
function train(name: string, stripQueries: boolean, steps: number): Float32Array[] {
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
    entityOptimizer: createOptimizer('adagrad', NE, model.structuralWidth, { lr: 0.05 }),
    relationOptimizer: createOptimizer('adagrad', NR, model.scorer.relationWidth, { lr: 0.05 }),
    paramOptimizer: new DenseOptimizer(model.params, 'adagrad', 0.01),
    loss: createLoss('nssa', { margin: 2, gamma: 2, adversarialTemperature: 0.5 }),
    sampler: new NegativeSampler(NE, 5, 'uniform', undefined, rng.derive('sampler')),
    negatives: 5,
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
