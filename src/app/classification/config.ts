/**
 * Configuration of one classification run (`mmkge classify`, bench/table1.ts): the trainer's
 * own options here, composed with the options every registered model and plug-in declares in
 * its own file. Flags, `classify --help`, checks and defaults come from this composition.
 */
import { CLS_MODELS, CLS_PLUGINS } from '../../../baselines/classification/registry';
import type { PmrOptions } from '../../../baselines/classification/pmr';
import { IMML_OPTIONS, type ImmlOptions } from '../../../imml/options';
import { BACKEND_OPTIONS, type BackendName } from '../../backend';
import {
  composeSchemas, defaultsOf, fromNames, renamed, withDefaults,
  type Intersect, type NumberSpec, type RegistryOptions, type Renamed, type Schema,
} from '../../options';

/** The classification trainer's own options. */
export interface ClsTrainerOptions {
  /** Shipped dataset (hfm, mvsa-single, mvsa-multiple, food101) or a directory. */
  dataset: string;
  /** Model registry key (bow, img, bert, late-fusion, concat-bow, concat-bert, mmbt, tmc, qmf). */
  model: string;
  seed: number;
  /** Maximum epochs. */
  epochs: number;
  /** Early stopping: stop after this many epochs without a better dev accuracy (0 = off). */
  patience: number;
  batchSize: number;
  /** Adam learning rate of the dense parameters. */
  lr: number;
  /** Learning rate of the embedding tables (0 = lr). */
  embLr: number;
  /** Text encoder: trainable embedding bag (`bow`) or fixed mean-BoW features (`bow-fixed`). */
  textEncoder: 'bow' | 'bow-fixed';
  pooling: 'mean' | 'sum';
  /** Hidden layer after each encoder (0 = none). */
  hidden: number;
  /** Tokens per text for token models (MMBT). */
  maxTokens: number;
  /** Image side (pixels) for the CNN encoder. */
  imageSize: number;
  /** CNN output width. */
  cnnDim: number;
  /** The predominant modality (first in every model); the paper's choice is text. */
  predominant: string;
  evalBatchSize: number;
  /** Result JSON path ('' = none). */
  out: string;
}

/** Options, defaults and help of the classification trainer. */
export const CLS_TRAINER_OPTIONS: Schema<ClsTrainerOptions> = {
  dataset: { type: 'string', default: 'hfm', nonEmpty: true, help: 'hfm, mvsa-single, mvsa-multiple, food101, or a directory' },
  model: { type: 'string', default: 'qmf', nonEmpty: true, help: `model: ${Object.keys(CLS_MODELS).join(', ')}` },
  seed: { type: 'int', default: 1, min: 0, max: 4294967295, help: 'random seed (same seed = same numbers)' },
  epochs: { type: 'int', default: 8, min: 1, max: 1_000_000, help: 'maximum epochs' },
  patience: { type: 'int', default: 3, min: 0, max: 1_000_000, help: 'early stopping on dev accuracy (0 = off)' },
  batchSize: { type: 'int', default: 128, min: 1, max: 1_000_000, help: 'batch size' },
  lr: { type: 'number', default: 1e-3, above: 0, help: 'Adam learning rate' },
  embLr: { type: 'number', default: 0, min: 0, help: 'learning rate of the word-vector tables (0 = --lr)' },
  textEncoder: { type: 'enum', default: 'bow', values: ['bow', 'bow-fixed'], help: 'bow (trainable GloVe bag) or bow-fixed (fixed mean-BoW features)' },
  pooling: { type: 'enum', default: 'mean', values: ['mean', 'sum'], help: 'mean or sum of the word vectors' },
  hidden: { type: 'int', default: 128, min: 0, max: 16384, help: 'hidden layer after each encoder (0 = none)' },
  maxTokens: { type: 'int', default: 24, min: 1, max: 100_000, help: 'words per text for token models (MMBT)' },
  imageSize: { type: 'int', default: 32, min: 1, max: 4096, help: 'image side for the CNN encoder' },
  cnnDim: { type: 'int', default: 64, min: 1, max: 16384, help: 'output width of the CNN image encoder' },
  predominant: { type: 'string', default: 'text', nonEmpty: true, help: 'predominant modality (first in every model)' },
  evalBatchSize: { type: 'int', default: 1024, min: 1, max: 1_000_000, help: 'samples per evaluation chunk' },
  out: { type: 'string', default: '', help: "write the result JSON here ('' = none)" },
};

/** A test noise level eps (one value of `--noise`). */
export const NOISE_LEVEL: NumberSpec = { type: 'number', default: 0, min: 0, help: 'test noise level' };

/** Flag names of IMML's options on `classify` (as the paper's gamma1/gamma2 and the ablation switches). */
export const IMML_CLS_NAMES = {
  gamma1: 'gamma1', gamma2: 'gamma2', alpha: 'immlAlpha', beta: 'immlBeta', partners: 'immlPartners',
  temperature: 'immlTemperature', projectionDim: 'immlProjectionDim', useMdke: 'mdke', useBeta: 'betaLoss',
  betaFraction: 'immlBetaFraction', mdkeRows: 'immlMdkeRows',
} as const;

/** Flag names of PMR's options on `classify`. */
export const PMR_CLS_NAMES = { alpha: 'pmrAlpha', momentum: 'pmrMomentum', fraction: 'pmrFraction', startEpoch: 'pmrStartEpoch', endEpoch: 'pmrEndEpoch' } as const;

/** IMML on classification: the paper's own options, with this task's gamma defaults (Fig. 4's search range). */
const IMML_CLS_OPTIONS = renamed(withDefaults(IMML_OPTIONS, { gamma1: 1e-2, gamma2: 10 }, 'IMML for classification'), IMML_CLS_NAMES, 'IMML');
const PMR_FLAT_OPTIONS = renamed(CLS_PLUGINS.pmr.options, PMR_CLS_NAMES, 'PMR');

type ModelOptions = Intersect<{ [K in keyof typeof CLS_MODELS]: (typeof CLS_MODELS)[K]['options'] extends Schema<infer O> ? O : never }[keyof typeof CLS_MODELS]>;
/** Plug-ins whose options `classify` takes under names of their own (and keeps as a record in ClsConfig). */
type NamedPlugins = 'pmr' | 'imml';
const NAMED_PLUGINS: readonly string[] = ['pmr', 'imml'] satisfies NamedPlugins[];
type FlatPluginOptions = Intersect<RegistryOptions<Omit<typeof CLS_PLUGINS, NamedPlugins>>>;

/** Every scalar `classify` option, flat, as the command line takes them. */
export type ClsFlatOptions = ClsTrainerOptions & { backend: BackendName } & ModelOptions & FlatPluginOptions
  & Renamed<PmrOptions, typeof PMR_CLS_NAMES> & Renamed<ImmlOptions, typeof IMML_CLS_NAMES>;

/** The schema of every scalar `classify` option, composed from the trainer, the models and the plug-ins. */
export function classifyOptions(): Schema<ClsFlatOptions> {
  return composeSchemas<ClsFlatOptions>([
    { name: 'the classification trainer (src/app/classification/config.ts)', schema: CLS_TRAINER_OPTIONS },
    { name: 'the backend (src/backend.ts)', schema: BACKEND_OPTIONS },
    ...Object.entries(CLS_MODELS).map(([name, m]) => ({ name: `model ${name}`, schema: m.options })),
    ...Object.entries(CLS_PLUGINS).filter(([name]) => !NAMED_PLUGINS.includes(name)).map(([name, p]) => ({ name: `plug-in ${name}`, schema: p.options })),
    { name: 'plug-in pmr', schema: PMR_FLAT_OPTIONS },
    { name: 'plug-in imml', schema: IMML_CLS_OPTIONS },
  ]);
}

type Nested = Renamed<PmrOptions, typeof PMR_CLS_NAMES> & Renamed<ImmlOptions, typeof IMML_CLS_NAMES>;

/** One classification run: the flat options, IMML's and PMR's as records, and the list-valued settings. */
export type ClsConfig = Omit<ClsFlatOptions, keyof Nested> & {
  /** Shipped variant (default: mvsa-single -> clmlf, the split of the paper's Table V; others their default). */
  variant?: string;
  /** Plug-ins in order (pmr, umt, imml). */
  plugins: string[];
  /** Modalities to use (empty = all the dataset has). */
  modalities: string[];
  /** User-supplied precomputed features: modality name -> .npy / .jsonl file (cls-data/features.ts). */
  features: Record<string, string>;
  /** Test noise levels eps. */
  noise: number[];
  imml: ImmlOptions;
  /** PMR options given (the rest take PMR's defaults). */
  pmr: Partial<PmrOptions>;
  quiet: boolean;
};

/** A ClsConfig from flat option values (IMML's and PMR's picked out under their flag names). */
export function clsConfigFromFlat(flat: ClsFlatOptions, pmrGiven: Partial<PmrOptions>, lists: Pick<ClsConfig, 'variant' | 'plugins' | 'modalities' | 'features' | 'noise' | 'quiet'>): ClsConfig {
  const nested = new Set<string>([...Object.values(IMML_CLS_NAMES), ...Object.values(PMR_CLS_NAMES)]);
  const own = Object.fromEntries(Object.entries(flat).filter(([k]) => !nested.has(k))) as Omit<ClsFlatOptions, keyof Nested>;
  return { ...own, ...lists, imml: fromNames<ImmlOptions, typeof IMML_CLS_NAMES>(IMML_CLS_NAMES, flat), pmr: pmrGiven };
}

export const DEFAULT_CLS_CONFIG: ClsConfig = clsConfigFromFlat(defaultsOf(classifyOptions()), {}, {
  plugins: [], modalities: [], features: {}, noise: [0, 5], quiet: false,
});

/** A full config from defaults and overrides (nested imml/pmr merged). */
export function clsConfig(over: Partial<ClsConfig> = {}): ClsConfig {
  return {
    ...DEFAULT_CLS_CONFIG,
    ...over,
    imml: { ...DEFAULT_CLS_CONFIG.imml, ...(over.imml ?? {}) },
    pmr: { ...DEFAULT_CLS_CONFIG.pmr, ...(over.pmr ?? {}) },
    features: { ...(over.features ?? {}) },
  };
}

/**
 * A plug-in's options in a config: the record under its name where the config has one (`imml`,
 * `pmr`), else the flat keys (UMT's `umtScale`).
 */
export function pluginOptionsOf(config: ClsConfig, name: string): object {
  const nested: unknown = Object.prototype.hasOwnProperty.call(config, name) ? (config as unknown as Record<string, unknown>)[name] : undefined;
  return typeof nested === 'object' && nested !== null && !Array.isArray(nested) ? nested : config;
}

/** Default shipped variant per dataset for classification runs (datasets not listed: their own default). */
const DEFAULT_VARIANTS: Readonly<Record<string, string>> = { 'mvsa-single': 'clmlf' };

/** Default shipped variant per dataset for classification runs. */
export function defaultVariant(dataset: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(DEFAULT_VARIANTS, dataset) ? DEFAULT_VARIANTS[dataset] : undefined;
}
