/**
 * Seconds per epoch of OTKGE (1-vs-all, reciprocal, N3, Adagrad) with and without the IMML
 * plug-in, extrapolated from timed batches on the real training triples and the dataset's default
 * text features. Part `otkge` of `npm run bench`.
 */
import { Rng } from '../src/rng';
import { createOptimizer } from '../src/optim';
import { DenseOptimizer } from '../src/params';
import { DEFAULT_CONFIG, type RunConfig } from '../src/app/run_config';
import { presetFor } from '../src/app/presets';
import { multimodalFor } from '../src/app/run';
import { MultimodalOneVsAllStep } from '../src/train/multimodal_1vsall';
import { sharedFloat32 } from '../src/train/model';
import type { QueryBatch } from '../src/train/batches';
import type { ModalityFeatures } from '../src/modality';
import type { KgDataset } from '../src/kg';
import type { DenseHead } from '../src/dense/head';

/** The first B training triples as tail queries (h, r, ?) for timing 1-vs-all steps. */
export function tailQueries(train: Int32Array, B: number): QueryBatch {
  const q: QueryBatch = { anchors: new Int32Array(B), relations: new Int32Array(B), answers: new Int32Array(B), tailSide: new Uint8Array(B).fill(1), count: B };
  for (let i = 0; i < B; i++) {
    q.anchors[i] = train[3 * i];
    q.relations[i] = train[3 * i + 1];
    q.answers[i] = train[3 * i + 2];
  }
  return q;
}

/** Timing of one configuration. */
export interface OtkgeTiming {
  dataset: string;
  dim: number;
  batch: number;
  imml: boolean;
  secondsPerBatch: number;
  secondsPerEpoch: number;
}

/** Time `reps` batches after one warm-up batch and extrapolate to an epoch (2 x train queries). */
export function otkgeEpochSeconds(ds: KgDataset, features: ModalityFeatures[], dim: number, imml: boolean, reps: number, head: DenseHead): OtkgeTiming {
  const config: RunConfig = { ...DEFAULT_CONFIG, ...presetFor('otkge', ds.name), dataset: ds.name, model: 'otkge', dim, imml };
  const { model, imml: plugin } = multimodalFor(config, features);
  const nE = ds.entities.length;
  const nR = 2 * ds.relations.length;
  const rng = new Rng(1);
  const entities = sharedFloat32(nE * model.structuralWidth);
  const relations = sharedFloat32(nR * model.scorer.relationWidth);
  model.initStructural(entities, nE, rng.derive('e'));
  model.initRelations(relations, nR, rng.derive('r'));
  model.refresh?.(entities, nE, rng.derive('refresh'));
  const tables = { entities, relations, numEntities: nE, numRelationRows: nR };
  const step = new MultimodalOneVsAllStep({
    model, tables, imml: plugin,
    entityOptimizer: createOptimizer('adagrad', nE, model.structuralWidth, { lr: 0.1 }),
    relationOptimizer: createOptimizer('adagrad', nR, model.scorer.relationWidth, { lr: 0.1 }),
    paramOptimizer: new DenseOptimizer(model.params, 'adagrad', 0.1),
    n3Weight: config.regWeight, auxWeight: 0, complexRows: true, head,
  });
  const B = config.batchSize;
  const q = tailQueries(ds.train, B);
  step.run(q);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) step.run(q);
  const secondsPerBatch = (performance.now() - t0) / 1000 / reps;
  step.dispose();
  return { dataset: ds.name, dim, batch: B, imml, secondsPerBatch, secondsPerEpoch: (secondsPerBatch * (2 * ds.train.length / 3)) / B };
}
