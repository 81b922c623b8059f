import { parseJsonText, readTextStrict } from './atomic';
import { BACKEND_OPTIONS, type BackendName } from './backend';
import { ENGINE_OPTIONS, type EngineChoice } from './dense/head';
import { LOSS_OPTIONS, type LossConfig } from './losses';
import { MULTIMODAL_OPTIONS, type MultimodalConfig } from './multimodal';
import { OPTIMIZER_OPTIONS, type OptimizerConfig } from './optim';
import { checkAll, checkRecord, composeSchemas, kebab, specsOf, type Schema } from './options';
import { SAMPLER_OPTIONS, type SamplerConfig } from './sampling';
import { EMBEDDING_OPTIONS, type EmbeddingOptions } from './scorer';
import { LOOP_OPTIONS, type LoopConfig } from './train/loop_options';

/** What a run is on and where it goes. */
export interface RunKeys {
  /** Registry name (`wn9-img`, `fb-img`) or a directory with train/valid/test files. */
  dataset: string;
  /** Column order of the triple files (`hrt`, `htr`, ...); empty = the dataset's declared order, else `hrt`. */
  columns: '' | 'hrt' | 'htr' | 'rht' | 'rth' | 'thr' | 'trh';
  /** Model registry key (structural scorer or multimodal model). */
  model: string;
  /** Run directory (config, checkpoints, metrics, loss curve). */
  out: string;
}

/** Options, defaults and help of the run keys. */
export const RUN_OPTIONS: Schema<RunKeys> = {
  dataset: { type: 'string', default: 'wn9-img', nonEmpty: true, help: 'dataset name (wn9-img, fb-img) or a directory with train/valid/test files' },
  columns: { type: 'enum', default: '', values: ['', 'hrt', 'htr', 'rht', 'rth', 'thr', 'trh'], help: "column order of triple files without a dataset.json ('' = declared order, else hrt)" },
  model: { type: 'string', default: 'transe', nonEmpty: true, help: 'model (mmkge list)' },
  out: { type: 'string', default: 'runs/latest', nonEmpty: true, help: 'run directory' },
};

/**
 * What the core's training loop reads: the run keys and the options of the core's components
 * (training loop, loss, sampler, optimiser, dense engine, backend, embedding, multimodal
 * features). Models and plug-ins (OTKGE, IMML, TransE's norm, ...) declare their own options in
 * their own files; the app composes all of them into the `mmkge train` config (src/app/run_config.ts).
 */
export type TrainConfig = RunKeys & LoopConfig & LossConfig & SamplerConfig & OptimizerConfig
  & { engine: EngineChoice; backend: BackendName } & EmbeddingOptions & MultimodalConfig;

/** The schema of the core's keys, composed from each component's own schema. */
export const TRAIN_OPTIONS: Schema<TrainConfig> = composeSchemas<TrainConfig>([
  { name: 'the run (src/config.ts)', schema: RUN_OPTIONS },
  { name: 'the embedding (src/scorer.ts)', schema: EMBEDDING_OPTIONS },
  { name: 'the training loop (src/train/loop_options.ts)', schema: LOOP_OPTIONS },
  { name: 'the loss (src/losses.ts)', schema: LOSS_OPTIONS },
  { name: 'the sampler (src/sampling.ts)', schema: SAMPLER_OPTIONS },
  { name: 'the optimiser (src/optim.ts)', schema: OPTIMIZER_OPTIONS },
  { name: 'the dense engine (src/dense/head.ts)', schema: ENGINE_OPTIONS },
  { name: 'the backend (src/backend.ts)', schema: BACKEND_OPTIONS },
  { name: 'multimodal features (src/multimodal.ts)', schema: MULTIMODAL_OPTIONS },
]);

export { kebab };

/** Read a JSON config file against `schema`; unknown keys and wrongly typed values are errors naming the file. */
export function readConfigFileOf<T>(schema: Schema<T>, file: string): Partial<T> {
  const parsed = parseJsonText<unknown>(readTextStrict(file), file);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file}: a config file must hold one JSON object`);
  }
  return checkRecord(schema, parsed as Record<string, unknown>, file);
}

/** Most corrupted triples one negative-sampling batch may hold (2^26: 0.8 GB of int32 triples). */
export const MAX_NEGATIVES_PER_BATCH = 1 << 26;

/** Check the core's keys against their schemas, then the cross-key constraints; returns the config or throws naming the keys. */
export function validateTrainConfig<C extends TrainConfig>(c: C): C {
  checkAll(TRAIN_OPTIONS, c, 'config');
  if (c.training === 'negative-sampling' && c.loss === 'ce') throw new Error(`config: negative-sampling training uses loss margin, softplus, bce or nssa, got 'ce'`);
  // Each batch holds batchSize x negatives corrupted triples: keep that an allocation, not a crash.
  if (c.training === 'negative-sampling' && c.batchSize * c.negatives > MAX_NEGATIVES_PER_BATCH) {
    throw new Error(`config: --batch-size ${c.batchSize} x --negatives ${c.negatives} = ${c.batchSize * c.negatives} negatives per batch, over ${MAX_NEGATIVES_PER_BATCH}; lower one of them`);
  }
  if (c.training === '1vsall' && c.loss !== 'ce') throw new Error(`config: 1vsall training uses loss 'ce', got '${c.loss}'`);
  if (c.training === 'kvsall' && c.loss !== 'ce' && c.loss !== 'bce') throw new Error(`config: kvsall training uses loss 'bce' or 'ce', got '${c.loss}'`);
  return c;
}

/**
 * Keys a resumed run may change: they decide how long to train, when to validate and how to
 * rank, never what a training step computes. `out` may differ when a run directory was moved.
 */
export const RESUME_SAFE_KEYS: readonly string[] = ['epochs', 'patience', 'evalEvery', 'evalBatchSize', 'workers', 'out'] satisfies readonly (keyof TrainConfig)[];

/**
 * Run-defining keys of `schema` (default: the core's) whose values differ between a saved run
 * and a resumed one, as `--flag was saved, now given`; a key the saved run lacks counts as its default.
 */
export function resumeConflicts<T>(saved: Partial<T>, now: T, schema: Schema<T> = TRAIN_OPTIONS as unknown as Schema<T>): string[] {
  const out: string[] = [];
  const specs = specsOf(schema);
  const was = saved as Readonly<Record<string, unknown>>;
  const is = now as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(specs)) {
    if (RESUME_SAFE_KEYS.includes(key)) continue;
    const before = Object.prototype.hasOwnProperty.call(was, key) ? was[key] : specs[key].default;
    if (before !== is[key]) out.push(`--${kebab(key)} was ${JSON.stringify(before)}, now ${JSON.stringify(is[key])}`);
  }
  return out;
}
