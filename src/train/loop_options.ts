import type { Schema } from '../options';

/** The keys the training loop reads: scheme, length, batching, validation, early stopping. */
export interface LoopConfig {
  /** `negative-sampling`, `1vsall` (softmax over all entities) or `kvsall` (multi-label over all entities). */
  training: 'negative-sampling' | '1vsall' | 'kvsall';
  /** Add reciprocal relations (t, r^-1, h) and predict tails only (Lacroix et al. 2018); 1vsAll/KvsAll. */
  reciprocal: boolean;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Validate (filtered MRR on valid) every k epochs; 0 = only at the end. */
  evalEvery: number;
  /** Stop after this many validations without improvement; 0 = never stop early. */
  patience: number;
  /** Queries per ranking chunk in evaluation. */
  evalBatchSize: number;
  /** Worker threads for evaluation (0 = one per core). */
  workers: number;
  /** Use the scorer's fused typed-array kernel when it has one (false = tfjs autodiff). */
  useKernel: boolean;
}

/** Options, defaults and help of the training loop; bounds are sanity limits that turn typos into messages. */
export const LOOP_OPTIONS: Schema<LoopConfig> = {
  training: { type: 'enum', default: 'negative-sampling', values: ['negative-sampling', '1vsall', 'kvsall'], help: 'training scheme' },
  reciprocal: { type: 'bool', default: false, help: 'reciprocal relations (1vsall/kvsall)' },
  epochs: { type: 'int', default: 100, min: 1, max: 1_000_000, help: 'maximum epochs' },
  batchSize: { type: 'int', default: 1024, min: 1, max: 1_000_000, help: 'positives (or queries) per batch' },
  seed: { type: 'int', default: 1, min: 0, max: 4294967295, help: 'random seed (same seed + config = same numbers)' },
  evalEvery: { type: 'int', default: 10, min: 0, max: 1_000_000, help: 'validate every k epochs (0 = only at the end)' },
  patience: { type: 'int', default: 5, min: 0, max: 1_000_000, help: 'early-stopping patience in validations (0 = off)' },
  evalBatchSize: { type: 'int', default: 512, min: 1, max: 1_000_000, help: 'queries per ranking chunk' },
  workers: { type: 'int', default: 0, min: 0, max: 1024, help: 'threads for ranking and for fused-kernel negative-sampling training (0 = one per core; same numbers for any count)' },
  useKernel: { type: 'bool', default: true, help: 'use fused typed-array kernels when the scorer has them' },
};
