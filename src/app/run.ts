import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { readJson, writeJsonAtomic } from '../atomic';
import { claimRunDirectory } from '../run_dir';
import { closest } from '../options';
import { selectBackend } from '../backend';
import { presetFor } from './presets';
import { RESUME_SAFE_KEYS, kebab, resumeConflicts } from '../config';
import { checkPartial, defaultConfig, immlOptionsOf, runOptions, validateConfig, type RunConfig } from './run_config';
import { trainModel, type TrainedModel } from '../train/trainer';
import { CHECKPOINT, loadModelBundle } from '../train/checkpoint';
import { readBundle } from '../tensor_file';
import { rankingTable } from '../train/multimodal_step';
import { reciprocalRelationTable, reciprocalView } from '../train/reciprocal';
import { formatRankTable } from '../../eval/rank_table';
import { loadKgDataset } from '../../kg-data/loader';
import { bernoulliHeadProbabilities, buildTrainGraph, relationStats } from '../../kg-data/graph';
import { createScorer, scorerNames } from '../../baselines/kg/registry';
import { evaluateLinkPrediction } from '../../eval/link_prediction';
import type { LinkPredictionMetrics } from '../../eval/metrics';
import type { FilterIndex } from '../filter';
import type { Scorer } from '../scorer';
import type { KgDataset } from '../kg';
import { modalityRecord, type ModalityFeatures } from '../modality';
import type { MultimodalKgModel } from '../multimodal';
import { Rng } from '../rng';
import type { DenseHead } from '../dense/head';
import { selectDenseHead } from '../dense/select';
import { loadDatasetModalities } from '../../kg-data/features';
import { createMultimodalModel, isMultimodalModel, multimodalModelNames } from '../../baselines/kg/multimodal_registry';
import { ImmlPlugin } from '../../imml/plugin';

/** Merge defaults < model/dataset preset < file < flags into a validated config (the model name is checked first). */
export function resolveConfig(file: Partial<RunConfig>, flags: Partial<RunConfig>): RunConfig {
  const defaults = defaultConfig();
  const model = flags.model ?? file.model ?? defaults.model;
  const dataset = flags.dataset ?? file.dataset ?? defaults.dataset;
  checkModelName(model);
  return validateConfig({ ...defaults, ...presetFor(model, dataset), ...file, ...flags });
}

/** Every model name, structural then multimodal. */
export function modelNames(): string[] {
  return [...scorerNames(), ...multimodalModelNames()];
}

/** Throws, listing every model and the closest name, unless `name` is a registered model. */
export function checkModelName(name: string): void {
  if (modelNames().includes(name)) return;
  const near = closest(name, modelNames());
  throw new Error(`--model: unknown model '${name}'${near ? `; did you mean '${near}'?` : ''} Known models: ${scorerNames().join(', ')} (structural); ${multimodalModelNames().join(', ')} (multimodal)`);
}

/** Build the scorer a config describes. */
export function scorerFor(config: RunConfig): Scorer {
  return createScorer(config.model, config);
}

/** The multimodal model (and IMML plug-in) a config describes, over loaded modality features. */
export function multimodalFor(config: RunConfig, modalities: readonly ModalityFeatures[]): { model: MultimodalKgModel; imml?: ImmlPlugin } {
  const rng = new Rng(config.seed).derive('multimodal-params');
  const model = createMultimodalModel(config.model, { ...config, modalities, rng });
  if (!config.imml) return { model };
  // Predominant modality: the structural representation; auxiliary: each loaded modality.
  const imml = new ImmlPlugin(representationWidths(model), immlOptionsOf(config), model.params, new Rng(config.seed).derive('imml'));
  return { model, imml };
}

/** Widths of a model's per-modality representations h^m (probed with one zero entity). */
export function representationWidths(model: MultimodalKgModel): number[] {
  const p = model.params.tensors();
  try {
    return tf.tidy(() => model.encode(tf.zeros([1, model.structuralWidth]), model.modalities.map((m) => tf.zeros([1, m.dim])), p).map((h) => h.shape[1]));
  } finally {
    tf.dispose(Object.values(p));
  }
}

/** Load the modalities a config asks for (multimodal models only; structural models use none). */
export async function modalitiesFor(config: RunConfig, dataset: LoadedDataset, log: (m: string) => void): Promise<ModalityFeatures[]> {
  if (!isMultimodalModel(config.model)) {
    if (config.imageFeatures || config.textFeatures) log(`note: ${config.model} is a structural model; --image-features/--text-features are ignored`);
    if (config.imml) throw new Error(`config: IMML needs a multimodal model (per-modality representations); '${config.model}' is structural`);
    return [];
  }
  const features = await loadDatasetModalities(dataset.descriptor, config, dataset.entities, { log });
  if (features.length === 0) {
    throw new Error(`model '${config.model}' needs at least one auxiliary modality (image or text features); none were found or given (--image-features / --text-features)`);
  }
  return features;
}

type LoadedDataset = Awaited<ReturnType<typeof loadKgDataset>>;

/** The best model of a finished run, ready for ranking: for multimodal models the fused representation of every entity. */
export interface SavedModel {
  scorer: Scorer;
  /** Table ranking uses (multimodal: fused representations). */
  entities: Float32Array;
  relations: Float32Array;
  /** The structural table as trained (same as `entities` for structural models). */
  structural: Float32Array;
  /** Relation rows as trained (with reciprocal rows). */
  rawRelations: Float32Array;
  /** Floats per row of `entities` and of `rawRelations`. */
  entityWidth: number;
  relationWidth: number;
  modalities: string[];
}

/** Load model-best.bin of a run directory (structural or multimodal, with IMML if it was on). */
export async function loadSavedModel(run: string, config: RunConfig, dataset: LoadedDataset, log: (m: string) => void = () => undefined): Promise<SavedModel> {
  const file = path.join(run, 'model-best.bin');
  const best = readBundle(file);
  const nE = dataset.entities.length;
  const nR = dataset.relations.length;
  const reciprocal = config.training !== 'negative-sampling' && config.reciprocal;
  const features = await modalitiesFor(config, dataset, log);
  let scorer: Scorer;
  let entities = best.entities as Float32Array;
  const relations = best.relations as Float32Array;
  if (features.length > 0) {
    const { model, imml } = multimodalFor(config, features);
    const tables = { entities: new Float32Array(entities.length), relations: new Float32Array(relations.length), numEntities: nE, numRelationRows: relations.length / model.scorer.relationWidth };
    loadModelBundle(best, tables, { model }, file);
    ({ scorer, entities } = rankingTable(model, tables.entities, nE, imml));
  } else {
    scorer = scorerFor(config);
  }
  const modalities = ['structure', ...features.map(modalityRecord)];
  const structural = best.entities as Float32Array;
  const widths = { entityWidth: scorer.entityWidth, relationWidth: scorer.relationWidth };
  if (!reciprocal) return { scorer, entities, relations, structural, rawRelations: relations, modalities, ...widths };
  return { scorer: reciprocalView(scorer), entities, relations: reciprocalRelationTable(relations, nR, scorer.relationWidth), structural, rawRelations: relations, modalities, ...widths };
}

/** Filtered link-prediction evaluation with the config's chunking and workers. */
export function evaluator(config: RunConfig, dataset: KgDataset, onProgress?: (done: number, total: number) => void, engine?: DenseHead) {
  return (scorer: Scorer, entities: Float32Array, relations: Float32Array, triples: Int32Array, filter: FilterIndex | undefined): Promise<LinkPredictionMetrics> =>
    evaluateLinkPrediction({
      scorer, entities, relations, triples, filter,
      numEntities: dataset.entities.length,
      numRelations: dataset.relations.length,
      batchSize: config.evalBatchSize,
      workers: config.workers > 0 ? config.workers : undefined,
      onProgress,
      engine,
    });
}

/** What `mmkge train` writes to metrics.json. */
export interface RunMetrics {
  dataset: string;
  model: string;
  /** Modalities the run used: 'structure' plus each auxiliary modality with its source file. */
  modalities: string[];
  /** Whether the IMML plug-in was on. */
  imml: boolean;
  backend: string;
  /** Dense engine of the all-entity head and matrix-product ranking (name, library, threads). */
  engine: string;
  seed: number;
  bestEpoch: number;
  epochsRun: number;
  trainSeconds: number;
  triplesPerSecond: number;
  evalSeconds: { valid: number; test: number };
  peakRssMB: number;
  machine: string;
  valid: LinkPredictionMetrics;
  test: LinkPredictionMetrics;
}

/** How {@link runTraining} treats the run directory. */
export interface RunOptions {
  /** Continue the run in `config.out` (its run-defining settings must not change). */
  resume?: boolean;
  /** Delete the run already in `config.out` first (else a non-empty directory is refused). */
  overwrite?: boolean;
  quiet?: boolean;
  log?: (m: string) => void;
}

/**
 * Train, evaluate the best model on valid and test, write config.json and metrics.json. The run
 * directory is checked (writable, not another run unless `overwrite`), locked and config.json
 * written before any data is loaded; see run_dir.ts.
 */
export async function runTraining(config: RunConfig, opts: RunOptions = {}): Promise<RunMetrics> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const dir = claimRunDirectory(config.out, { resume: opts.resume, overwrite: opts.overwrite, log });
  try {
    const resume = opts.resume ? checkResumable(config, log) : false;
    writeJsonAtomic(path.join(config.out, 'config.json'), config);
    return await train(config, resume, opts, log);
  } finally {
    dir.release();
  }
}

/** The config.json a run directory holds, checked key by key (a file-and-key error otherwise). */
function savedConfig(dir: string): Partial<RunConfig> {
  const file = path.join(dir, 'config.json');
  return checkPartial(readJson<Record<string, unknown>>(file), file);
}

/**
 * What a results script does with `config.out` when it already holds a finished run (a
 * metrics.json): `continue` it from its checkpoint when `--epochs` grew (the trainer keeps every
 * evaluation the run made), else `reuse` it. A run made with other run-defining settings, or
 * with more epochs, would put another run's numbers under this config, so it is refused by name;
 * so is a run asked for more epochs that has lost its checkpoint.
 * `--eval-every` and `--patience` may differ (the run's own config.json says what it used).
 */
export function finishedRunPlan(config: RunConfig): 'reuse' | 'continue' {
  const saved = savedConfig(config.out);
  const conflicts = resumeConflicts(saved, config, runOptions());
  const epochs = (saved.epochs as number | undefined) ?? defaultConfig().epochs;
  if (config.epochs < epochs) conflicts.push(`--epochs was ${epochs}, now ${config.epochs}`);
  if (conflicts.length > 0) {
    throw new Error(`${config.out} holds a finished run made with other settings (${conflicts.join('; ')}): ` +
      'only a larger --epochs continues it; choose another tag or output directory for a different run.');
  }
  if (config.epochs === epochs) return 'reuse';
  // Without its checkpoint the run cannot continue, and reusing it would report fewer epochs than asked.
  if (!fs.existsSync(path.join(config.out, CHECKPOINT))) {
    throw new Error(`${config.out} holds a finished ${epochs}-epoch run but no ${CHECKPOINT}, so it cannot continue to --epochs ${config.epochs}: ` +
      `ask for --epochs ${epochs} to reuse it, or choose another tag or output directory to train ${config.epochs} epochs from scratch.`);
  }
  return 'continue';
}

/**
 * The results scripts' way to a run in `config.out`: a finished one is reused (or continued for
 * more epochs, see {@link finishedRunPlan}); an unfinished one with a checkpoint continues from
 * its last finished epoch (runTraining checks that its run-defining settings match); anything
 * else is trained from scratch. Returns the metrics and the config the run was made with.
 */
export async function trainOrReuse(config: RunConfig, log: (m: string) => void): Promise<{ metrics: RunMetrics; config: RunConfig }> {
  const out = config.out;
  const metricsFile = path.join(out, 'metrics.json');
  const configFile = path.join(out, 'config.json');
  if (fs.existsSync(metricsFile) && finishedRunPlan(config) === 'reuse') {
    return { metrics: readJson<RunMetrics>(metricsFile), config: readJson<RunConfig>(configFile) };
  }
  const resume = fs.existsSync(path.join(out, CHECKPOINT)) && fs.existsSync(configFile);
  if (resume) log(`continuing ${out} from its checkpoint to ${config.epochs} epochs`);
  const metrics = await runTraining(config, resume ? { quiet: true, resume: true, log } : { quiet: true, overwrite: true, log });
  return { metrics, config };
}

/**
 * Refuses a resume that changes a run-defining setting; says what the directory holds when it
 * has no checkpoint yet (then the run starts from epoch 0 with its settings: the same numbers).
 */
function checkResumable(config: RunConfig, log: (m: string) => void): boolean {
  const conflicts = resumeConflicts(savedConfig(config.out), config, runOptions());
  if (conflicts.length > 0) {
    throw new Error(`--resume ${config.out}: settings that define the run cannot change when it continues: ${conflicts.join('; ')}. ` +
      `Only ${RESUME_SAFE_KEYS.filter((k) => k !== 'out').map((k) => `--${kebab(k)}`).join(', ')} and --quiet may; start a new run to change the others.`);
  }
  if (fs.existsSync(path.join(config.out, CHECKPOINT))) return true;
  const files = fs.readdirSync(config.out).filter((f) => !f.startsWith('.'));
  log(`note: ${config.out} holds ${files.join(', ')} but no ${CHECKPOINT} (no epoch finished before it stopped); training it from epoch 0 with its config.json`);
  return false;
}

async function train(config: RunConfig, resume: boolean, opts: RunOptions, log: (m: string) => void): Promise<RunMetrics> {
  const backend = await selectBackend(config.backend, log);
  const dataset = await loadKgDataset(config.dataset, { columns: config.columns || undefined });
  log(`dataset ${dataset.name}: ${dataset.entities.length} entities, ${dataset.relations.length} relations, ` +
    `${dataset.train.length / 3}/${dataset.valid.length / 3}/${dataset.test.length / 3} train/valid/test triples`);
  const features = await modalitiesFor(config, dataset, log);
  const modalities = ['structure', ...features.map(modalityRecord)];
  log(`model ${config.model}${config.imml ? ' + IMML' : ''} dim ${config.dim}, ${config.training}, loss ${config.loss}, ${config.optimizer} lr ${config.lr}, batch ${config.batchSize}, seed ${config.seed}; modalities: ${modalities.join(', ')}`);
  const engine = selectDenseHead(config.engine, log);
  const evaluate = evaluator(config, dataset, undefined, engine);
  const trained: TrainedModel = await trainModel(config, {
    dataset,
    createScorer: () => scorerFor(config),
    createMultimodal: features.length > 0 ? () => multimodalFor(config, features) : undefined,
    evaluate,
    denseHead: engine,
    headProbabilities: () => bernoulliHeadProbabilities(relationStats(buildTrainGraph(dataset), dataset.relations.length)),
    log,
    progress: !opts.quiet,
  }, resume);
  const valid = trained.bestValid as LinkPredictionMetrics;
  const test = await evaluate(trained.scorer, trained.entities, trained.relations, dataset.test, trained.filter);
  engine.dispose();
  const metrics: RunMetrics = {
    dataset: dataset.name, model: config.model, modalities, imml: config.imml, backend, engine: engine.description, seed: config.seed,
    bestEpoch: trained.bestEpoch, epochsRun: trained.epochsRun, trainSeconds: trained.trainSeconds,
    triplesPerSecond: trained.triplesPerSecond, evalSeconds: { valid: valid.seconds, test: test.seconds },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), machine: machineDescription(),
    valid, test,
  };
  writeJsonAtomic(path.join(config.out, 'metrics.json'), metrics);
  log(formatRankTable(`valid, best epoch ${trained.bestEpoch}`, valid));
  log(formatRankTable('test', test));
  return metrics;
}

/** CPU model, cores and memory, for benchmark and metrics records. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
