import type { ImmlOptions } from '../../imml/options';
import type { ParamStore } from '../../src/params';
import type { Rng } from '../../src/rng';
import type { ClsModel, ClsPlugin, FeatureMode, ModelBuildContext } from '../../src/classification/types';
import { concatBert } from './concat_bert';
import { concatBow } from './concat_bow';
import { IMMLClsPlugin } from './imml_plugin';
import { LateFusion } from './late_fusion';
import { MMBT } from './mmbt';
import { PMRPlugin, type PmrOptions } from './pmr';
import { QMF } from './qmf';
import { TMC } from './tmc';
import { UMTPlugin } from './umt';
import { UniModal } from './unimodal';

/** Which of the dataset's modalities a model reads. */
export type ModalityUse = 'predominant' | 'auxiliary' | 'all';

/** Registry entry of a classification model. */
export interface ClsModelSpec {
  /** Display name (Table I row). */
  readonly label: string;
  readonly uses: ModalityUse;
  readonly mode: FeatureMode;
  /** Fewest modalities the model works with. */
  readonly minModalities: number;
  /**
   * The model is defined on pre-trained encoder features (BERT): run on anything else it is a
   * substitute, and tables say so.
   */
  readonly expectsFeatures?: boolean;
  readonly create: (ctx: ModelBuildContext) => ClsModel;
}

/**
 * Registry of the classification models: key -> spec. Adding a model = one file in
 * baselines/classification + one line here.
 */
export const CLS_MODELS = {
  bow: { label: 'Bow', uses: 'predominant', mode: 'vector', minModalities: 1, create: (c) => new UniModal('bow', 'Bow', c) },
  img: { label: 'Image-only', uses: 'auxiliary', mode: 'vector', minModalities: 1, create: (c) => new UniModal('img', 'Image-only', c) },
  bert: { label: 'BERT', uses: 'predominant', mode: 'vector', minModalities: 1, expectsFeatures: true, create: (c) => new UniModal('bert', 'BERT', c) },
  'late-fusion': { label: 'L-f', uses: 'all', mode: 'vector', minModalities: 2, create: (c) => new LateFusion(c) },
  'concat-bow': { label: 'C-Bow', uses: 'all', mode: 'vector', minModalities: 2, create: concatBow },
  'concat-bert': { label: 'C-BERT', uses: 'all', mode: 'vector', minModalities: 2, expectsFeatures: true, create: concatBert },
  mmbt: { label: 'MMBT', uses: 'all', mode: 'tokens', minModalities: 2, create: (c) => new MMBT(c) },
  tmc: { label: 'TMC', uses: 'all', mode: 'vector', minModalities: 2, create: (c) => new TMC(c) },
  qmf: { label: 'QMF', uses: 'all', mode: 'vector', minModalities: 2, create: (c) => new QMF(c) },
} satisfies Record<string, ClsModelSpec>;

export type ClsModelName = keyof typeof CLS_MODELS;

/** Aliases accepted on the command line. */
const MODEL_ALIASES: Record<string, ClsModelName> = { lf: 'late-fusion', latefusion: 'late-fusion', 'c-bow': 'concat-bow', concatbow: 'concat-bow', 'c-bert': 'concat-bert', concatbert: 'concat-bert', image: 'img' };

export function clsModelNames(): ClsModelName[] {
  return Object.keys(CLS_MODELS) as ClsModelName[];
}

/** The spec of `name` (or an alias); throws listing the known keys. */
export function clsModelSpec(name: string): ClsModelSpec & { key: ClsModelName } {
  const key = ((Object.prototype.hasOwnProperty.call(MODEL_ALIASES, name) ? MODEL_ALIASES[name] : undefined) ?? name) as ClsModelName;
  if (!Object.prototype.hasOwnProperty.call(CLS_MODELS, key)) throw new Error(`unknown classification model '${name}'; known: ${clsModelNames().join(', ')}`);
  return { ...(CLS_MODELS[key] as ClsModelSpec), key };
}

/** What a plug-in factory gets. */
export interface PluginBuildContext {
  readonly dims: readonly number[];
  readonly numClasses: number;
  readonly store: ParamStore;
  readonly rng: Rng;
  readonly imml: ImmlOptions;
  readonly pmr: Partial<PmrOptions>;
  readonly umtScale: number;
}

/** Registry of the plug-ins (combinable: `--plugin pmr,imml`). */
export const CLS_PLUGINS = {
  pmr: (c: PluginBuildContext): ClsPlugin => new PMRPlugin(c.dims, c.numClasses, c.pmr, c.rng.derive('pmr')),
  umt: (c: PluginBuildContext): ClsPlugin => new UMTPlugin(c.dims, c.umtScale),
  imml: (c: PluginBuildContext): ClsPlugin => new IMMLClsPlugin(c.dims, c.imml, c.store, c.rng),
} satisfies Record<string, (c: PluginBuildContext) => ClsPlugin>;

export type ClsPluginName = keyof typeof CLS_PLUGINS;

export function clsPluginNames(): ClsPluginName[] {
  return Object.keys(CLS_PLUGINS) as ClsPluginName[];
}

/** Build the listed plug-ins in order; throws on an unknown or repeated name. */
export function createPlugins(names: readonly string[], c: PluginBuildContext): ClsPlugin[] {
  const seen = new Set<string>();
  return names.map((n) => {
    if (!Object.prototype.hasOwnProperty.call(CLS_PLUGINS, n)) throw new Error(`unknown plug-in '${n}'; known: ${clsPluginNames().join(', ')}`);
    if (seen.has(n)) throw new Error(`plug-in '${n}' listed twice`);
    seen.add(n);
    return CLS_PLUGINS[n as ClsPluginName](c);
  });
}
