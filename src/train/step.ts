import type { TrainConfig } from '../config';
import type { Scorer } from '../scorer';
import type { MultimodalKgModel } from '../multimodal';
import type { RepresentationPlugin } from '../plugin';
import type { SparseOptimizer } from '../optim';
import type { DenseOptimizer } from '../params';
import type { DenseHead } from '../dense/head';
import type { Rng } from '../rng';
import type { KgTables } from './model';

/**
 * One optimisation step of a training scheme: trains on a batch of `count` units (positive
 * triples for negative sampling, queries for 1-vs-all / KvsAll), updates the tables and dense
 * parameters in place and returns the batch's mean loss (data term + penalties). A step that
 * holds tensors (modality inputs) releases them in `dispose`; one that holds only typed arrays
 * may omit it. A step keeps nothing a checkpoint needs: the tables, optimisers and random streams
 * it uses come from its {@link StepContext} and are checkpointed by the loop (checkpoint.ts).
 */
export interface TrainingStep<Batch> {
  run(batch: Batch, count: number): number;
  dispose?(): void;
}

/** What shuffled unit a scheme trains on (the log says "triples/s" or "queries/s"). */
export type TrainingUnit = 'triples' | 'queries';

/**
 * A training step bound to its batches: what the loop drives. `runBatch` assembles the batch of
 * units order[from..to) and runs the step on it; `dispose` releases the step and the dense engine
 * it borrowed (the loop calls it once, before the final evaluation).
 */
export interface BoundTrainingStep {
  readonly unit: TrainingUnit;
  /** Units shuffled per epoch: training triples, or 1-vs-all / KvsAll queries. */
  readonly units: number;
  runBatch(order: Int32Array, from: number, to: number): number;
  dispose(): void;
}

/** The multimodal model of a run and, when on, its IMML plug-in. */
export interface MultimodalParts {
  model: MultimodalKgModel;
  imml?: RepresentationPlugin;
}

/** Everything a step factory may use: the run's config, tables, optimisers and random streams. */
export interface StepContext {
  config: TrainConfig;
  /** Training triples (flat h, r, t), with the reciprocal triples appended when they are on. */
  train: Int32Array;
  /** The scorer of the run (a multimodal model's scorer for multimodal models). */
  scorer: Scorer;
  /** Defined exactly for multimodal models. */
  multimodal?: MultimodalParts;
  tables: KgTables;
  entityOptimizer: SparseOptimizer;
  relationOptimizer: SparseOptimizer;
  /** Optimiser of a multimodal model's dense parameters. */
  paramOptimizer?: DenseOptimizer;
  /** The stream of negative sampling (and of IMML's extra sampled-softmax candidates). */
  samplerRng: Rng;
  /** Per-relation probability of corrupting the head (Bernoulli sampling). */
  headProbabilities: () => Float32Array;
  /**
   * The run's dense engine, also set as the engine of the models' dense products until the
   * bound step is disposed (the first call acquires it).
   */
  denseHead: () => DenseHead;
}
