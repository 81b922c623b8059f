import * as fs from 'node:fs';
import { checkEngineName } from './dense/head';

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

/** Defaults for every key (the LibKGE way: each option has a default next to it). */
export const DEFAULT_CONFIG: TrainConfig = {
  dataset: 'wn9-img',
  columns: '',
  model: 'transe',
  dim: 200,
  norm: 1,
  margin: 1,
  normalizeEntities: true,
  initStd: 0,
  training: 'negative-sampling',
  loss: 'margin',
  adversarialTemperature: 0,
  labelSmoothing: 0,
  negatives: 1,
  sampler: 'bernoulli',
  reciprocal: false,
  optimizer: 'adagrad',
  lr: 0.01,
  regularizer: 'none',
  regWeight: 0,
  epochs: 100,
  batchSize: 1024,
  seed: 1,
  evalEvery: 10,
  patience: 5,
  evalBatchSize: 512,
  workers: 0,
  backend: 'auto',
  engine: 'auto',
  useKernel: true,
  out: 'runs/latest',
  imageFeatures: '',
  textFeatures: '',
  imageWeight: 0.1,
  textWeight: 0.8,
  otScale: 100,
  otEpsilon: 0.1,
  otIterations: 50,
  auxWeight: 1,
  denseLr: 0,
  imml: false,
  immlGamma1: 1e-3,
  immlGamma2: 1,
  immlAlpha: 0.1,
  immlBeta: 0.1,
  immlPartners: 2,
  immlTemperature: 0.5,
  immlProjectionDim: 128,
  immlMdke: true,
  immlBetaLoss: true,
  immlBetaFraction: 0.3,
  immlMdkeRows: 256,
};

/** Keys of TrainConfig, in declaration order of the defaults. */
export const CONFIG_KEYS = Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[];

/** `batchSize` -> `batch-size`. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Parse a command-line string into the type of the key's default; errors name the flag. */
export function parseValue(key: keyof TrainConfig, raw: string): TrainConfig[keyof TrainConfig] {
  const def = DEFAULT_CONFIG[key];
  if (typeof def === 'number') {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new Error(`--${kebab(key)}: expected a number, got '${raw}'`);
    return v as never;
  }
  if (typeof def === 'boolean') {
    if (raw === 'true' || raw === '1' || raw === '') return true as never;
    if (raw === 'false' || raw === '0') return false as never;
    throw new Error(`--${kebab(key)}: expected true or false, got '${raw}'`);
  }
  return raw as never;
}

/** Read a JSON config file; unknown keys and wrongly typed values are errors naming the file. */
export function readConfigFile(file: string): Partial<TrainConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file}: a config file must hold one JSON object`);
  }
  return checkPartial(parsed as Record<string, unknown>, file);
}

/** Validate keys and value types of a partial config. */
export function checkPartial(obj: Record<string, unknown>, source: string): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (!(key in DEFAULT_CONFIG)) {
      throw new Error(`${source}: unknown config key '${key}' (known: ${CONFIG_KEYS.join(', ')})`);
    }
    const expected = typeof DEFAULT_CONFIG[key as keyof TrainConfig];
    if (typeof value !== expected) throw new Error(`${source}: '${key}' must be a ${expected}, got ${JSON.stringify(value)}`);
    out[key] = value;
  }
  return out as Partial<TrainConfig>;
}

/** Check cross-key constraints; returns the config or throws a message naming the keys. */
export function validateConfig(c: TrainConfig): TrainConfig {
  const positive: (keyof TrainConfig)[] = ['dim', 'epochs', 'batchSize', 'lr', 'evalBatchSize'];
  for (const k of positive) if (!((c[k] as number) > 0)) throw new Error(`config: '${k}' must be > 0, got ${c[k]}`);
  if (c.norm !== 1 && c.norm !== 2) throw new Error(`config: 'norm' must be 1 or 2, got ${c.norm}`);
  if (!['negative-sampling', '1vsall', 'kvsall'].includes(c.training)) {
    throw new Error(`config: 'training' must be negative-sampling, 1vsall or kvsall, got '${c.training}'`);
  }
  if (c.training === 'negative-sampling' && !(c.negatives >= 1)) throw new Error(`config: 'negatives' must be >= 1`);
  if (!['uniform', 'bernoulli'].includes(c.sampler)) throw new Error(`config: 'sampler' must be uniform or bernoulli, got '${c.sampler}'`);
  if (!['adagrad', 'adam'].includes(c.optimizer)) throw new Error(`config: 'optimizer' must be adagrad or adam, got '${c.optimizer}'`);
  if (!['none', 'l2', 'n3'].includes(c.regularizer)) throw new Error(`config: 'regularizer' must be none, l2 or n3, got '${c.regularizer}'`);
  if (c.training === '1vsall' && c.loss !== 'ce') throw new Error(`config: 1vsall training uses loss 'ce', got '${c.loss}'`);
  if (c.training === 'kvsall' && c.loss !== 'ce' && c.loss !== 'bce') throw new Error(`config: kvsall training uses loss 'bce' or 'ce', got '${c.loss}'`);
  checkEngineName(c.engine);
  if (!Number.isInteger(c.seed)) throw new Error(`config: 'seed' must be an integer, got ${c.seed}`);
  return c;
}
