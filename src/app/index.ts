/**
 * The package's public entry (`main`): run orchestration and configuration from the composition
 * root, with the typed interfaces of the core and the registered plug-ins, for library use.
 */
export { runTraining, resolveConfig, scorerFor, multimodalFor, loadSavedModel, evaluator, modelNames } from './run';
export type { RunMetrics, RunOptions, SavedModel } from './run';
export { runGrid, parseGridValues } from './grid';
export type { GridCell } from './grid';
export { presetFor } from './presets';
export { runClassification, prepareClsData } from './classification/train';
export type { ClsResult } from './classification/train';
export { clsConfig, DEFAULT_CLS_CONFIG } from './classification/config';
export type { ClsConfig } from './classification/config';
export { DEFAULT_CONFIG, validateConfig, readConfigFile } from './run_config';
export type { RunConfig } from './run_config';
export type { TrainConfig } from '../config';
export type { Scorer } from '../scorer';
export type { MultimodalKgModel } from '../multimodal';
export type { RepresentationPlugin } from '../plugin';
export { Rng } from '../rng';
export * as evaluation from '../../eval';
export * as imml from '../../imml';
export * as kgScorers from '../../baselines/kg';
