import { expect } from 'chai';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';
import { multimodalFor, resolveConfig, scorerFor } from '../../src/app/run';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { RunConfig } from '../../src/app/run_config';
import type { ModalityFeatures } from '../../src/modality';
import { createOptimizer } from '../../src/optim';
import { DenseOptimizer } from '../../src/params';
import { Rng } from '../../src/rng';
import { selectDenseHead } from '../../src/dense/select';
import { currentTensorEngine } from '../../src/dense/tf_loss';
import { createMultimodalTables, createTables } from '../../src/train/model';
import { RunEngine } from '../../src/train/run_engine';
import { trainModel } from '../../src/train/trainer';
import type { StepContext } from '../../src/train/step';
import { TRAINING_STEPS, createTrainingStep, trainingStepFor, type TrainingStepName } from '../../src/train/step_registry';
import { loadKgDataset, type LoadedKgDataset } from '../../kg-data/loader';
import { isMultimodalModel } from '../../baselines/kg/multimodal_registry';

const TINY = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kg', 'tiny');

/** Random features of every entity, one entity without the modality. */
function features(modality: string, rows: number, dim: number, seed: number): ModalityFeatures {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: rows * dim }, () => rng.normal());
  const mask = new Uint8Array(rows).fill(1);
  mask[0] = 0;
  data.fill(0, 0, dim);
  return { modality, source: 'test', rows, dim, data, mask };
}

/** A run of each registered step on the tiny graph (the fused step twice: its encoder and its tfjs-representation path). */
const RUNS: [TrainingStepName, Partial<RunConfig>][] = [
  ['negative-sampling', { model: 'transe', negatives: 3 }],
  ['negative-sampling', { model: 'distmult', training: 'negative-sampling', loss: 'softplus', negatives: 3, useKernel: false, regularizer: 'l2', regWeight: 1e-3 }],
  ['1vsall', { model: 'complex', training: '1vsall', loss: 'ce', regularizer: 'n3', regWeight: 1e-3 }],
  ['1vsall', { model: 'complex', training: 'kvsall', loss: 'bce', reciprocal: false }],
  ['fused-multimodal-negative-sampling', { model: 'ikrl', negatives: 3 }],
  ['fused-multimodal-negative-sampling', { model: 'otkge', training: 'negative-sampling', loss: 'softplus', regularizer: 'none', negatives: 3 }],
  ['multimodal-negative-sampling', { model: 'tbkge', negatives: 3, regularizer: 'n3', regWeight: 1e-3 }],
  ['multimodal-negative-sampling', { model: 'mmkrl', negatives: 3, useKernel: false }],
  ['multimodal-1vsall', { model: 'otkge' }],
];

describe('training steps (src/train/step_registry.ts)', () => {
  let ds: LoadedKgDataset;
  before(async () => {
    await selectBackend('wasm');
    ds = await loadKgDataset(TINY);
  });

  /** The context trainModel builds for a config, on the tiny graph (no reciprocal relations). */
  function context(over: Partial<RunConfig>, engine: RunEngine): StepContext {
    const config = resolveConfig({}, { dataset: TINY, dim: 8, batchSize: 2, backend: 'wasm', engine: 'js', reciprocal: false, ...over });
    const nE = ds.entities.length;
    const nR = ds.relations.length;
    const multimodal = isMultimodalModel(config.model) ? multimodalFor(config, [features('image', nE, 5, 1), features('text', nE, 4, 2)]) : undefined;
    const scorer = multimodal ? multimodal.model.scorer : scorerFor(config);
    const width = multimodal ? multimodal.model.structuralWidth : scorer.entityWidth;
    const rng = new Rng(config.seed);
    const tables = multimodal ? createMultimodalTables(multimodal.model, nE, nR, rng.derive('init')) : createTables(scorer, nE, nR, rng.derive('init'), config.initStd);
    return {
      config, train: ds.train, scorer, multimodal, tables,
      entityOptimizer: createOptimizer(config.optimizer, nE, width, { lr: config.lr }),
      relationOptimizer: createOptimizer(config.optimizer, nR, scorer.relationWidth, { lr: config.lr }),
      paramOptimizer: multimodal ? new DenseOptimizer(multimodal.model.params, config.optimizer, config.lr) : undefined,
      samplerRng: rng.derive('sampler'),
      headProbabilities: () => new Float32Array(nR).fill(0.5),
      denseHead: () => engine.acquire(),
    };
  }

  it('every registered step is exercised below', () => {
    expect(new Set(RUNS.map(([name]) => name))).to.deep.equal(new Set(Object.keys(TRAINING_STEPS)));
  });

  for (const [name, over] of RUNS) {
    it(`${name} ${JSON.stringify(over)}: resolved from the config, finite losses, no tensor left per batch, dispose() frees what it holds`, () => {
      const engine = new RunEngine(() => selectDenseHead('js'));
      const ctx = context(over, engine);
      expect(trainingStepFor(ctx)).to.equal(name);
      const before = tf.memory().numTensors;
      const step = createTrainingStep(ctx);
      // five batches of two units, cycling through the tiny graph's units
      const order = Int32Array.from({ length: 10 }, (_, i) => i % step.units);
      const batch = (b: number): number => step.runBatch(order, 2 * b, 2 * b + 2);
      // first batch: lazily built inputs (the fused step's tfjs path) may appear here and stay
      expect(Number.isFinite(batch(0))).to.equal(true);
      const held = tf.memory().numTensors;
      for (let b = 1; b < 4; b++) expect(Number.isFinite(batch(b))).to.equal(true);
      expect(tf.memory().numTensors, 'tensors after 3 more batches').to.equal(held);
      const entitiesBefore = ctx.tables.entities.slice();
      batch(4);
      expect(ctx.tables.entities).to.not.deep.equal(entitiesBefore);
      step.dispose();
      engine.release();
      expect(tf.memory().numTensors, 'tensors after dispose').to.equal(before);
      // multimodal steps hold their modality inputs as tensors: dispose released something real
      if (ctx.multimodal && name !== 'fused-multimodal-negative-sampling') expect(held).to.be.greaterThan(before);
    });
  }

  it('IMML steps leave no tensor per batch either (after the first, which fills IMML\'s identity cache)', () => {
    for (const over of [{ model: 'ikrl', negatives: 3, imml: true }, { model: 'otkge', imml: true, immlPartners: 2 }] as Partial<RunConfig>[]) {
      const engine = new RunEngine(() => selectDenseHead('js'));
      const ctx = context(over, engine);
      expect(trainingStepFor(ctx)).to.equal(over.model === 'ikrl' ? 'multimodal-negative-sampling' : 'multimodal-1vsall');
      const step = createTrainingStep(ctx);
      const order = Int32Array.from({ length: 8 }, (_, i) => i % step.units);
      step.runBatch(order, 0, 2);
      const held = tf.memory().numTensors;
      for (let b = 1; b < 4; b++) step.runBatch(order, 2 * b, 2 * b + 2);
      expect(tf.memory().numTensors).to.equal(held);
      step.dispose();
      engine.release();
      expect(tf.memory().numTensors).to.be.lessThan(held);
    }
  });

  it('perTermLoss trains ikrl through the fused step, and is one error naming the key where that step does not train the run', () => {
    const engine = new RunEngine(() => selectDenseHead('js'));
    const ok = context({ model: 'ikrl', negatives: 3, loss: 'margin', margin: 4, perTermLoss: true }, engine);
    const step = createTrainingStep(ok);
    expect(Number.isFinite(step.runBatch(Int32Array.from({ length: 2 }, (_, i) => i), 0, 2))).to.equal(true);
    step.dispose();
    for (const over of [{ model: 'ikrl', imml: true }, { model: 'ikrl', useKernel: false }, { model: 'transe' }, { model: 'otkge' }] as Partial<RunConfig>[]) {
      expect(() => createTrainingStep(context({ ...over, negatives: 3, perTermLoss: true }, engine)), JSON.stringify(over)).to.throw(/config: perTermLoss needs/);
    }
    engine.release();
  });

  it('a run that stops (divergence) still frees the step and unsets the dense engine', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-steps-'));
    const before = tf.memory().numTensors;
    const config = resolveConfig({}, { dataset: TINY, model: 'otkge', dim: 8, batchSize: 2, epochs: 5, evalEvery: 0, lr: 1e30, backend: 'wasm', engine: 'js', out });
    let message = '';
    try {
      await trainModel(config, {
        dataset: ds, createScorer: () => scorerFor(config), log: () => {}, progress: false,
        createMultimodal: () => multimodalFor(config, [features('image', ds.entities.length, 5, 1)]),
        evaluate: () => Promise.reject(new Error('no evaluation expected: the run diverges first')),
        headProbabilities: () => new Float32Array(ds.relations.length).fill(0.5),
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/^training diverged/);
    expect(currentTensorEngine()).to.equal(undefined);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('a scheme no step of the model kind trains is a config error naming the schemes that are', () => {
    const engine = new RunEngine(() => selectDenseHead('js'));
    expect(() => trainingStepFor(context({ model: 'otkge', training: 'kvsall', loss: 'bce' }, engine)))
      .to.throw("config: multimodal models train with 'negative-sampling' or '1vsall', got 'kvsall'");
    expect(() => createTrainingStep(context({ model: 'otkge', regularizer: 'l2', regWeight: 1e-3 }, engine))).to.throw(/regularizer 'n3' or 'none', got 'l2'/);
    engine.release();
  });
});
