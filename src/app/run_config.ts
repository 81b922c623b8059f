/**
 * The `mmkge train` config: the core's keys (src/config.ts) composed with the options every
 * registered scorer, multimodal model and the IMML plug-in declare in their own files. Flags,
 * `train --help`, config-file checks, defaults and presets all come from this composition, so a
 * component with a new option needs no edit here.
 */
import { SCORERS, scorerRegistry } from '../../baselines/kg/registry';
import { MULTIMODAL_MODELS } from '../../baselines/kg/multimodal_registry';
import { IMML_OPTIONS, type ImmlOptions } from '../../imml/options';
import { readConfigFileOf, TRAIN_OPTIONS, validateTrainConfig, type TrainConfig } from '../config';
import {
  checkAll, checkRecord, composeSchemas, defaultsOf, fromNames, parseKey, renamed, specOf, withDefaults,
  type Intersect, type RegistryOptions, type Renamed, type Schema,
} from '../options';

/** Flat config names of the IMML options (as in config.json of a run). */
export const IMML_TRAIN_NAMES = {
  gamma1: 'immlGamma1', gamma2: 'immlGamma2', alpha: 'immlAlpha', beta: 'immlBeta', partners: 'immlPartners',
  temperature: 'immlTemperature', projectionDim: 'immlProjectionDim', useMdke: 'immlMdke', useBeta: 'immlBetaLoss',
  betaFraction: 'immlBetaFraction', mdkeRows: 'immlMdkeRows',
} as const;

/** The IMML keys of a training config: the switch and IMML's own options under their flat names. */
export type ImmlTrainConfig = { imml: boolean } & Renamed<ImmlOptions, typeof IMML_TRAIN_NAMES>;

/**
 * IMML for link prediction: its own options with two cost-control defaults of this task (a
 * 1-vs-all L_beta query is scored against every entity, and NT-Xent is O(B^2) on 1000+ anchors).
 */
const IMML_TRAIN_OPTIONS: Schema<ImmlTrainConfig> = {
  imml: { type: 'bool', default: false, help: 'add the IMML plug-in (multimodal models)' },
  ...renamed(withDefaults(IMML_OPTIONS, { betaFraction: 0.3, mdkeRows: 256 }, 'IMML for link prediction'), IMML_TRAIN_NAMES, 'IMML'),
};

/** The options of every built-in model, as one record type. */
type ModelOptions = Intersect<RegistryOptions<typeof SCORERS>> & Intersect<RegistryOptions<typeof MULTIMODAL_MODELS>>;

/** Everything a `mmkge train` run depends on: one flat, typed record (config.json of a run). */
export type RunConfig = TrainConfig & ModelOptions & ImmlTrainConfig;

/**
 * The schema of every `mmkge train` key, composed from the registries as they are now (a scorer
 * registered at run time is included). Two components declaring one key differently is an error.
 */
export function runOptions(): Schema<RunConfig> {
  const scorers = scorerRegistry();
  const composed = composeSchemas<RunConfig>([
    { name: 'the training core (src/config.ts)', schema: TRAIN_OPTIONS },
    ...Object.entries(scorers).map(([name, c]) => ({ name: `scorer ${name}`, schema: c.options })),
    ...Object.entries(MULTIMODAL_MODELS).map(([name, c]) => ({ name: `multimodal model ${name}`, schema: c.options })),
    { name: 'the IMML plug-in (imml/options.ts)', schema: IMML_TRAIN_OPTIONS },
  ]);
  const models = `${Object.keys(scorers).join(', ')}; ${Object.keys(MULTIMODAL_MODELS).join(', ')}`;
  return { ...composed, model: { ...composed.model, help: `model (${models})` } };
}

/** Defaults for every key, from {@link runOptions}. */
export function defaultConfig(): RunConfig {
  return defaultsOf(runOptions());
}

/** Defaults of the built-in components (see {@link defaultConfig} for run-time additions). */
export const DEFAULT_CONFIG: RunConfig = defaultConfig();

/** Every config key, in schema order. */
export function configKeys(): (keyof RunConfig & string)[] {
  return Object.keys(runOptions()) as (keyof RunConfig & string)[];
}

/** True when `key` is a config key (own property: `__proto__` and `constructor` are not). */
export function isConfigKey(key: string): key is keyof RunConfig & string {
  return specOf(runOptions(), key) !== undefined;
}

/** Parse a command-line string for a key, checked against its schema; errors name the flag. */
export function parseValue<K extends keyof RunConfig & string>(key: K, raw: string): RunConfig[K] {
  return parseKey(runOptions(), key, raw);
}

/** Read a JSON config file; unknown keys and wrongly typed values are errors naming the file. */
export function readConfigFile(file: string): Partial<RunConfig> {
  return readConfigFileOf(runOptions(), file);
}

/** Validate keys, value types and ranges of a partial config (errors name `source` and the key). */
export function checkPartial(obj: Record<string, unknown>, source: string): Partial<RunConfig> {
  return checkRecord(runOptions(), obj, source);
}

/** Check every key against its schema, then the core's cross-key constraints; returns the config or throws naming the keys. */
export function validateConfig(c: RunConfig): RunConfig {
  return validateTrainConfig(checkAll(runOptions(), c, 'config'));
}

/** IMML's options out of a training config. */
export function immlOptionsOf(c: RunConfig): ImmlOptions {
  return fromNames<ImmlOptions, typeof IMML_TRAIN_NAMES>(IMML_TRAIN_NAMES, c);
}
