import { parseJsonText, readTextStrict } from './atomic';
import { ENGINE_NAMES } from './dense/head';
import { checkOption, checkRecord, defaultsOf, kebab, parseOption, specOf, type Schema } from './options';

/**
 * Everything a training run depends on. One flat, typed record: every key has a default in
 * `DEFAULT_CONFIG`, can be set in a JSON file (`--config FILE`) and overridden on the command
 * line as `--kebab-case-key VALUE`. Precedence: defaults < model/dataset presets < file < flags.
 */
export interface TrainConfig {
  /** Registry name (`wn9-img`, `fb-img`) or a directory with train/valid/test files. */
  dataset: string;
  /** Column order of the triple files (`hrt`, `htr`, ...); empty = the dataset's declared order, else `hrt`. */
  columns: string;
  /** Scorer registry key (`transe`, `distmult`, `complex`, `rotate`, ...). */
  model: string;
  /** Embedding dimension in the model's native coordinates (complex numbers for ComplEx/RotatE). */
  dim: number;
  /** TransE norm p in ||h + r - t||_p. */
  norm: 1 | 2;
  /** Margin gamma: of the margin-ranking loss, of NSSA, and RotatE's score offset. */
  margin: number;
  /** TransE: renormalise touched entity rows to unit L2 norm after each step (Bordes et al. 2013). */
  normalizeEntities: boolean;
  /** Std of a normal initialisation for all tables; 0 = the scorer's own initialisation. */
  initStd: number;
  /** `negative-sampling`, `1vsall` (softmax over all entities) or `kvsall` (multi-label over all entities). */
  training: 'negative-sampling' | '1vsall' | 'kvsall';
  /** Negative-sampling loss: `margin`, `softplus`, `bce`, `nssa`. 1vsAll uses `ce`; KvsAll `bce` or `ce`. */
  loss: string;
  /** Self-adversarial temperature alpha of NSSA (Sun et al. 2019); 0 = uniform weights. */
  adversarialTemperature: number;
  /** Label smoothing for BCE-type losses. */
  labelSmoothing: number;
  /** Negatives per positive triple. */
  negatives: number;
  /** Negative sampler: `uniform` or `bernoulli` (Wang et al. 2014). */
  sampler: 'uniform' | 'bernoulli';
  /** Add reciprocal relations (t, r^-1, h) and predict tails only (Lacroix et al. 2018); 1vsAll/KvsAll. */
  reciprocal: boolean;
  /** `adagrad` or `adam` (sparse row updates for embedding tables). */
  optimizer: 'adagrad' | 'adam';
  lr: number;
  /** `none`, `l2` (squared L2 of the batch's rows) or `n3` (nuclear 3-norm, Lacroix et al. 2018). */
  regularizer: 'none' | 'l2' | 'n3';
  regWeight: number;
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
  /** tfjs backend: auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu. */
  backend: string;
  /** Dense all-entity engine (1-vs-all head, matrix-product ranking): auto, ort-cpu, ort-webgpu, ort-cuda, tfjs, js. */
  engine: string;
  /** Use the scorer's fused typed-array kernel when it has one (false = tfjs autodiff). */
  useKernel: boolean;
  /** Run directory (config, checkpoints, metrics, loss curve). */
  out: string;
  /** Image features per entity (.npy, text vectors, .f32 + .json); '' = the dataset's default, 'none' = do not use. */
  imageFeatures: string;
  /** Text features per entity (same formats); '' = the dataset's default, 'none' = do not use. */
  textFeatures: string;
  /** Multimodal fusion weight of the image modality (OTKGE's alpha, Cao et al. 2022). */
  imageWeight: number;
  /** Multimodal fusion weight of the text modality (OTKGE's gamma). */
  textWeight: number;
  /** OTKGE: scale of the OT cost (v_k - s_j)^2 * scale. */
  otScale: number;
  /** OTKGE: entropic regularisation epsilon of Sinkhorn. */
  otEpsilon: number;
  /** OTKGE: Sinkhorn iterations. */
  otIterations: number;
  /** Weight of auxiliary reconstruction / alignment losses (TransAE, MMKRL). */
  auxWeight: number;
  /**
   * Learning rate of dense parameters (projections, transport corrections, IMML weights and heads);
   * 0 = `lr`. They are shared by all entities, so one Adagrad step of size lr moves every entity's
   * projected features at once: they usually need a smaller rate than the embedding rows.
   */
  denseLr: number;
  /** Wrap the model with the IMML plug-in (imml/): L = gamma1 L_mdke + gamma2 L_beta + L_base. */
  imml: boolean;
  /** IMML gamma1: weight of L_mdke (paper searches 1e-1..1e-6). */
  immlGamma1: number;
  /** IMML gamma2: weight of L_beta (paper searches 1e1..1e4 on classification). */
  immlGamma2: number;
  /** IMML: lambda ~ Beta(alpha, beta) (paper: 0.1, 0.1). */
  immlAlpha: number;
  immlBeta: number;
  /** IMML: N shifted partners i+1..i+N per sample (paper: 2). */
  immlPartners: number;
  /** IMML: NT-Xent temperature tau of L_mdke. */
  immlTemperature: number;
  /** IMML: output width D of the projection heads. */
  immlProjectionDim: number;
  /** IMML ablation switch: use L_mdke. */
  immlMdke: boolean;
  /** IMML ablation switch: use L_beta. */
  immlBetaLoss: boolean;
  /** IMML: fraction of the batch's anchors with an L_beta term per step (see imml/options.ts). */
  immlBetaFraction: number;
  /** IMML: at most this many anchors per step in L_mdke (0 = all; see imml/options.ts). */
  immlMdkeRows: number;
}

/** Backends a config may name (backend.ts tries them; `auto` picks the first that loads). */
const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** Column orders of triple files (kg-data/triples_reader.ts); '' = the dataset's own. */
const COLUMN_ORDERS = ['', 'hrt', 'htr', 'rht', 'rth', 'thr', 'trh'] as const;

/**
 * The schema of every key: type, accepted range or values, default (the LibKGE way: each option
 * has its default next to it) and help text. Flags, config-file checks and `train --help` are
 * generated from it. Bounds are sanity limits that turn typos (`--dim 1e9`) into messages
 * instead of failed allocations.
 */
export const TRAIN_OPTIONS: Schema<TrainConfig> = {
  dataset: { type: 'string', default: 'wn9-img', nonEmpty: true, help: 'dataset name (wn9-img, fb-img) or a directory with train/valid/test files' },
  columns: { type: 'enum', default: '', values: COLUMN_ORDERS, help: "column order of triple files without a dataset.json ('' = declared order, else hrt)" },
  model: { type: 'string', default: 'transe', nonEmpty: true, help: 'model (transe, distmult, complex, rotate; otkge, ikrl, tbkge, transae, mmkrl)' },
  dim: { type: 'int', default: 200, min: 1, max: 16384, help: 'embedding dimension (complex coordinates for complex/rotate)' },
  norm: { type: 'enum', default: 1, values: [1, 2], help: 'TransE norm' },
  margin: { type: 'number', default: 1, min: 0, help: 'margin gamma (margin loss, NSSA)' },
  normalizeEntities: { type: 'bool', default: true, help: 'TransE: unit-norm entities after each step' },
  initStd: { type: 'number', default: 0, min: 0, help: 'normal init std for all tables (0 = scorer default)' },
  training: { type: 'enum', default: 'negative-sampling', values: ['negative-sampling', '1vsall', 'kvsall'], help: 'training scheme' },
  loss: { type: 'enum', default: 'margin', values: ['margin', 'softplus', 'bce', 'nssa', 'ce'], help: 'margin, softplus, bce, nssa (negative sampling); ce (1vsall); bce or ce (kvsall)' },
  adversarialTemperature: { type: 'number', default: 0, min: 0, help: 'NSSA self-adversarial temperature (0 = uniform)' },
  labelSmoothing: { type: 'number', default: 0, min: 0, below: 1, help: 'label smoothing for BCE-type losses' },
  negatives: { type: 'int', default: 1, min: 1, max: 4096, help: 'negatives per positive' },
  sampler: { type: 'enum', default: 'bernoulli', values: ['uniform', 'bernoulli'], help: 'negative sampler' },
  reciprocal: { type: 'bool', default: false, help: 'reciprocal relations (1vsall/kvsall)' },
  optimizer: { type: 'enum', default: 'adagrad', values: ['adagrad', 'adam'], help: 'optimiser (sparse row updates)' },
  lr: { type: 'number', default: 0.01, above: 0, help: 'learning rate' },
  regularizer: { type: 'enum', default: 'none', values: ['none', 'l2', 'n3'], help: 'regulariser' },
  regWeight: { type: 'number', default: 0, min: 0, help: 'regulariser weight' },
  epochs: { type: 'int', default: 100, min: 1, max: 1_000_000, help: 'maximum epochs' },
  batchSize: { type: 'int', default: 1024, min: 1, max: 1_000_000, help: 'positives (or queries) per batch' },
  seed: { type: 'int', default: 1, min: 0, max: 4294967295, help: 'random seed (same seed + config = same numbers)' },
  evalEvery: { type: 'int', default: 10, min: 0, max: 1_000_000, help: 'validate every k epochs (0 = only at the end)' },
  patience: { type: 'int', default: 5, min: 0, max: 1_000_000, help: 'early-stopping patience in validations (0 = off)' },
  evalBatchSize: { type: 'int', default: 512, min: 1, max: 1_000_000, help: 'queries per ranking chunk' },
  workers: { type: 'int', default: 0, min: 0, max: 1024, help: 'threads for ranking and for fused-kernel negative-sampling training (0 = one per core; same numbers for any count)' },
  backend: { type: 'enum', default: 'auto', values: BACKEND_NAMES, help: 'tfjs backend' },
  engine: { type: 'enum', default: 'auto', values: ['auto', ...ENGINE_NAMES], help: 'dense engine for all-entity scoring (auto = ort-cpu where it loads, else tfjs)' },
  useKernel: { type: 'bool', default: true, help: 'use fused typed-array kernels when the scorer has them' },
  out: { type: 'string', default: 'runs/latest', nonEmpty: true, help: 'run directory' },
  imageFeatures: { type: 'string', default: '', help: "image features per entity (.npy, text vectors, .f32 + .json, optionally .gz); '' = dataset default, none = off" },
  textFeatures: { type: 'string', default: '', help: "text features per entity (same formats); '' = dataset default, none = off" },
  imageWeight: { type: 'number', default: 0.1, min: 0, help: 'fusion weight of the image modality (OTKGE a)' },
  textWeight: { type: 'number', default: 0.8, min: 0, help: 'fusion weight of the text modality (OTKGE g)' },
  otScale: { type: 'number', default: 100, above: 0, help: 'OTKGE: scale of the OT cost' },
  otEpsilon: { type: 'number', default: 0.1, above: 0, help: 'OTKGE: entropic regularisation of Sinkhorn' },
  otIterations: { type: 'int', default: 50, min: 1, max: 100_000, help: 'OTKGE: Sinkhorn iterations' },
  auxWeight: { type: 'number', default: 1, min: 0, help: 'weight of TransAE reconstruction / MMKRL alignment losses' },
  denseLr: { type: 'number', default: 0, min: 0, help: 'learning rate of dense parameters (projections, IMML); 0 = --lr' },
  imml: { type: 'bool', default: false, help: 'add the IMML plug-in (multimodal models)' },
  immlGamma1: { type: 'number', default: 1e-3, min: 0, help: 'IMML: weight of L_mdke' },
  immlGamma2: { type: 'number', default: 1, min: 0, help: 'IMML: weight of L_beta' },
  immlAlpha: { type: 'number', default: 0.1, above: 0, help: 'IMML: lambda ~ Beta(alpha, beta)' },
  immlBeta: { type: 'number', default: 0.1, above: 0, help: 'IMML: lambda ~ Beta(alpha, beta)' },
  immlPartners: { type: 'int', default: 2, min: 1, max: 1024, help: 'IMML: N partners i+1..i+N' },
  immlTemperature: { type: 'number', default: 0.5, above: 0, help: 'IMML: NT-Xent temperature' },
  immlProjectionDim: { type: 'int', default: 128, min: 1, max: 16384, help: 'IMML: projection head width' },
  immlMdke: { type: 'bool', default: true, help: 'IMML ablation: use L_mdke' },
  immlBetaLoss: { type: 'bool', default: true, help: 'IMML ablation: use L_beta' },
  immlBetaFraction: { type: 'number', default: 0.3, min: 0, max: 1, help: 'IMML: fraction of each batch with an L_beta term (cost control)' },
  immlMdkeRows: { type: 'int', default: 256, min: 0, max: 100_000_000, help: 'IMML: at most this many anchors in L_mdke (0 = all)' },
};

/** Defaults for every key, from {@link TRAIN_OPTIONS}. */
export const DEFAULT_CONFIG: TrainConfig = defaultsOf(TRAIN_OPTIONS);

/** Keys of TrainConfig, in declaration order of the schema. */
export const CONFIG_KEYS = Object.keys(TRAIN_OPTIONS) as (keyof TrainConfig)[];

export { kebab };

/** True when `key` is a config key (own property: `__proto__` and `constructor` are not). */
export function isConfigKey(key: string): key is keyof TrainConfig {
  return specOf(TRAIN_OPTIONS, key) !== undefined;
}

/** Parse a command-line string for a key, checked against its schema; errors name the flag. */
export function parseValue(key: keyof TrainConfig, raw: string): TrainConfig[keyof TrainConfig] {
  return parseOption(`--${kebab(key)}`, TRAIN_OPTIONS[key], raw) as never;
}

/** Read a JSON config file; unknown keys and wrongly typed values are errors naming the file. */
export function readConfigFile(file: string): Partial<TrainConfig> {
  const parsed = parseJsonText<unknown>(readTextStrict(file), file);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file}: a config file must hold one JSON object`);
  }
  return checkPartial(parsed as Record<string, unknown>, file);
}

/** Validate keys, value types and ranges of a partial config (errors name `source` and the key). */
export function checkPartial(obj: Record<string, unknown>, source: string): Partial<TrainConfig> {
  return checkRecord(TRAIN_OPTIONS, obj, source);
}

/** Most corrupted triples one negative-sampling batch may hold (2^26: 0.8 GB of int32 triples). */
export const MAX_NEGATIVES_PER_BATCH = 1 << 26;

/** Check every key against the schema, then cross-key constraints; returns the config or throws naming the keys. */
export function validateConfig(c: TrainConfig): TrainConfig {
  for (const key of CONFIG_KEYS) checkOption(`config: '${key}'`, TRAIN_OPTIONS[key], c[key]);
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
export const RESUME_SAFE_KEYS: readonly (keyof TrainConfig)[] = ['epochs', 'patience', 'evalEvery', 'evalBatchSize', 'workers', 'out'];

/** Run-defining keys whose values differ between a saved run and a resumed one, as `--flag: saved -> given`. */
export function resumeConflicts(saved: Partial<TrainConfig>, now: TrainConfig): string[] {
  const out: string[] = [];
  for (const key of CONFIG_KEYS) {
    if (RESUME_SAFE_KEYS.includes(key)) continue;
    const was = Object.prototype.hasOwnProperty.call(saved, key) ? saved[key] : DEFAULT_CONFIG[key];
    if (was !== now[key]) out.push(`--${kebab(key)} was ${JSON.stringify(was)}, now ${JSON.stringify(now[key])}`);
  }
  return out;
}
