/**
 * Configuration of one classification run (`mmkge classify`, bench/table1.ts).
 */
import { DEFAULT_IMML, type ImmlOptions } from '../../../imml/options';
import type { PmrOptions } from '../../../baselines/classification/pmr';

export interface ClsConfig {
  /** Shipped dataset (hfm, mvsa-single, mvsa-multiple, food101) or a directory. */
  dataset: string;
  /** Shipped variant (default: mvsa-single -> clmlf, the split of the paper's Table V; others their default). */
  variant?: string;
  /** Model registry key (bow, img, bert, late-fusion, concat-bow, concat-bert, mmbt, tmc, qmf). */
  model: string;
  /** Plug-ins in order (pmr, umt, imml). */
  plugins: string[];
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
  /** Modalities to use (empty = all the dataset has). */
  modalities: string[];
  /** User-supplied precomputed features: modality name -> .npy / .jsonl file (cls-data/features.ts). */
  features: Record<string, string>;
  /** Test noise levels eps. */
  noise: number[];
  evalBatchSize: number;
  imml: ImmlOptions;
  pmr: Partial<PmrOptions>;
  /** UMT distillation weight. */
  umtScale: number;
  /** Directory caching UMT teacher features across runs ('' = none). */
  teacherCache: string;
  qmfRankWeight: number;
  tmcAnnealingEpochs: number;
  mmbtDim: number;
  mmbtHeads: number;
  mmbtLayers: number;
  backend: string;
  /** Result JSON path ('' = none). */
  out: string;
  quiet: boolean;
}

export const DEFAULT_CLS_CONFIG: ClsConfig = {
  dataset: 'hfm',
  model: 'qmf',
  plugins: [],
  seed: 1,
  epochs: 8,
  patience: 3,
  batchSize: 128,
  lr: 1e-3,
  embLr: 0,
  textEncoder: 'bow',
  pooling: 'mean',
  hidden: 128,
  maxTokens: 24,
  imageSize: 32,
  cnnDim: 64,
  predominant: 'text',
  modalities: [],
  features: {},
  noise: [0, 5],
  evalBatchSize: 1024,
  imml: { ...DEFAULT_IMML, gamma1: 1e-2, gamma2: 10 },
  pmr: {},
  umtScale: 1,
  teacherCache: '',
  qmfRankWeight: 1,
  tmcAnnealingEpochs: 10,
  mmbtDim: 64,
  mmbtHeads: 4,
  mmbtLayers: 1,
  backend: 'auto',
  out: '',
  quiet: false,
};

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

/** Default shipped variant per dataset for classification runs. */
export function defaultVariant(dataset: string): string | undefined {
  return dataset === 'mvsa-single' ? 'clmlf' : undefined;
}
