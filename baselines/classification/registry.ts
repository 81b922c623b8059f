import { IMML_OPTIONS } from '../../imml/options';
import { component, lookup, NO_OPTIONS, pickGiven, resolveOptions, type AnyOptions, type Registry, type Schema } from '../../src/options';
import type { ParamStore } from '../../src/params';
import type { Rng } from '../../src/rng';
import type { ClsModel, ClsPlugin, FeatureMode, ModelBuildContext } from '../../src/classification/types';
import { concatBert } from './concat_bert';
import { concatBow } from './concat_bow';
import { IMMLClsPlugin } from './imml_plugin';
import { LateFusion } from './late_fusion';
import { MMBT_OPTIONS, MMBT } from './mmbt';
import { PMR_OPTIONS, PMRPlugin } from './pmr';
import { QMF_OPTIONS, QMF } from './qmf';
import { TMC_OPTIONS, TMC } from './tmc';
import { UMT_OPTIONS, UMTPlugin } from './umt';
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
  /** The model's own options with their defaults (in its file); `ctx.options` holds their values. */
  readonly options?: Schema<AnyOptions>;
  readonly create: (ctx: ModelBuildContext) => ClsModel;
}

/**
 * Registry of the classification models: key -> spec. Adding a model = one file in
 * baselines/classification + one line here.
 */
export const CLS_MODELS = {
  bow: { label: 'Bow', uses: 'predominant', mode: 'vector', minModalities: 1, options: NO_OPTIONS, create: (c) => new UniModal('bow', 'Bow', c) },
  img: { label: 'Image-only', uses: 'auxiliary', mode: 'vector', minModalities: 1, options: NO_OPTIONS, create: (c) => new UniModal('img', 'Image-only', c) },
  bert: { label: 'BERT', uses: 'predominant', mode: 'vector', minModalities: 1, expectsFeatures: true, options: NO_OPTIONS, create: (c) => new UniModal('bert', 'BERT', c) },
  'late-fusion': { label: 'L-f', uses: 'all', mode: 'vector', minModalities: 2, options: NO_OPTIONS, create: (c) => new LateFusion(c) },
  'concat-bow': { label: 'C-Bow', uses: 'all', mode: 'vector', minModalities: 2, options: NO_OPTIONS, create: concatBow },
  'concat-bert': { label: 'C-BERT', uses: 'all', mode: 'vector', minModalities: 2, expectsFeatures: true, options: NO_OPTIONS, create: concatBert },
  mmbt: { label: 'MMBT', uses: 'all', mode: 'tokens', minModalities: 2, options: MMBT_OPTIONS, create: (c) => new MMBT(c) },
  tmc: { label: 'TMC', uses: 'all', mode: 'vector', minModalities: 2, options: TMC_OPTIONS, create: (c) => new TMC(c) },
  qmf: { label: 'QMF', uses: 'all', mode: 'vector', minModalities: 2, options: QMF_OPTIONS, create: (c) => new QMF(c) },
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

/** What every plug-in factory gets besides its own options. */
export interface PluginBuildContext {
  readonly dims: readonly number[];
  readonly numClasses: number;
  readonly store: ParamStore;
  readonly rng: Rng;
}

/**
 * Registry of the plug-ins (combinable: `--plugin pmr,imml`): their option schemas (in their
 * files; the classify command composes them) and factories over the build context.
 */
export const CLS_PLUGINS = {
  pmr: component(PMR_OPTIONS, (o, c: PluginBuildContext): ClsPlugin => new PMRPlugin(c.dims, c.numClasses, o, c.rng.derive('pmr'))),
  umt: component(UMT_OPTIONS, (o, c: PluginBuildContext): ClsPlugin => new UMTPlugin(c.dims, o.umtScale)),
  imml: component(IMML_OPTIONS, (o, c: PluginBuildContext): ClsPlugin => new IMMLClsPlugin(c.dims, o, c.store, c.rng)),
} satisfies Registry<PluginBuildContext, ClsPlugin>;

export type ClsPluginName = keyof typeof CLS_PLUGINS;

export function clsPluginNames(): ClsPluginName[] {
  return Object.keys(CLS_PLUGINS) as ClsPluginName[];
}

/**
 * Build the listed plug-ins in order, each from its options: `optionsOf(name)` gives any of its
 * schema's keys (checked), the others take the plug-in's defaults. Throws on an unknown or
 * repeated name.
 */
export function createPlugins(names: readonly string[], c: PluginBuildContext, optionsOf: (name: string) => object): ClsPlugin[] {
  const seen = new Set<string>();
  return names.map((n) => {
    const plugin: Registry<PluginBuildContext, ClsPlugin>[string] = lookup(CLS_PLUGINS, n, 'plug-in');
    if (seen.has(n)) throw new Error(`plug-in '${n}' listed twice`);
    seen.add(n);
    return plugin.create(resolveOptions(plugin.options, pickGiven(plugin.options, optionsOf(n)), `plug-in ${n}`), c);
  });
}
