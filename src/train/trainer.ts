import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../config';
import type { KgDataset } from '../kg';
import type { Scorer } from '../scorer';
import { Rng } from '../rng';
import { FilterIndex } from '../filter';
import { createLoss } from '../losses';
import { createOptimizer, type SparseOptimizer } from '../optim';
import { NegativeSampler } from '../sampling';
import { writeBundle, readBundle, readBundleWithMeta, type ArrayBundle } from '../tensor_file';
import { resumeConflicts } from '../config';
import { DivergenceGuard, firstNonFinite } from './divergence';
import { Progress } from '../progress';
import { createTables, isComplexLayout, sharedFloat32, type KgTables } from './model';
import { NegativeSamplingStep } from './negative_sampling';
import { OneVsAllStep, type QueryBatch } from './one_vs_all';
import { reciprocalView, reciprocalRelationTable } from './reciprocal';
import { writeLossCurve, type EpochRecord } from './loss_curve';
import type { MultimodalKgModel } from '../multimodal';
import type { RepresentationPlugin } from '../plugin';
import { DenseOptimizer } from '../params';
import { MultimodalNegativeSamplingStep, MultimodalOneVsAllStep, representAll } from './multimodal_step';
import type { DenseHead } from '../dense/head';
import { selectDenseHead } from '../dense/select';
import { setTensorEngine } from '../dense/tf_loss';
import { FusedMultimodalNegativeSamplingStep, fusedMultimodalApplies } from './fused_multimodal_ns';

/** Everything the trainer needs from the outside world (wired by the CLI). */
export interface TrainerDeps {
  dataset: KgDataset;
  createScorer: (cfg: TrainConfig) => Scorer;
  /** Filtered ranking of `triples` with the current tables (eval/link_prediction). */
  evaluate: (scorer: Scorer, entities: Float32Array, relations: Float32Array, triples: Int32Array, filter: FilterIndex) => Promise<EvalMetrics>;
  /** Per-relation probability of corrupting the head (Bernoulli sampling). */
  headProbabilities: () => Float32Array;
  log: (msg: string) => void;
  /** Show progress bars / lines. */
  progress?: boolean;
  /** Engine of the all-entity head (1-vs-all / KvsAll); default: `config.engine` selected here. */
  denseHead?: DenseHead;
  /** For multimodal models: the model (and the IMML plug-in when on), else undefined. */
  createMultimodal?: (cfg: TrainConfig) => { model: MultimodalKgModel; imml?: RepresentationPlugin } | undefined;
}

/** Minimal shape of the evaluator's result used by the trainer. */
export interface EvalMetrics {
  both: { mrr: number };
  seconds: number;
  [k: string]: unknown;
}

/** Raised when the loss becomes NaN, infinite or explodes, or a parameter stops being finite: the run stops instead of writing garbage. */
export class TrainingDivergedError extends Error {}

interface TrainState {
  epoch: number;
  bestEpoch: number;
  bestValidMrr: number;
  /** Full valid metrics of the best model (what the final report prints). */
  bestValid?: EvalMetrics;
  badValidations: number;
  history: EpochRecord[];
  trainSeconds: number;
  trainedTriples: number;
}

/** One checksummed file holding tables, optimiser state, counters and RNG state (tensor_file.ts). */
export const CHECKPOINT = 'checkpoint.bin';
const BEST = 'model-best.bin';
const CHECKPOINT_VERSION = 2;

/**
 * The training loop: epochs of shuffled batches (negative sampling or 1-vs-all), validation
 * every `evalEvery` epochs with early stopping on filtered MRR, the best model and an atomic
 * checkpoint after every epoch. `resume` continues from the checkpoint in `config.out` and
 * reproduces the uninterrupted run exactly (all RNG and optimiser state is checkpointed).
 */
export async function trainModel(config: TrainConfig, deps: TrainerDeps, resume = false): Promise<TrainedModel> {
  const { dataset, log } = deps;
  const out = config.out;
  const nE = dataset.entities.length;
  const nR = dataset.relations.length;
  const oneVsAll = config.training !== 'negative-sampling';
  const reciprocal = oneVsAll && config.reciprocal;
  const relationRows = reciprocal ? 2 * nR : nR;
  const mm = deps.createMultimodal?.(config);
  const scorer = mm ? mm.model.scorer : deps.createScorer(config);
  const structuralWidth = mm ? mm.model.structuralWidth : scorer.entityWidth;

  const rng = new Rng(config.seed);
  const tables = mm ? createMultimodalTables(mm.model, nE, relationRows, rng.derive('init')) : createTables(scorer, nE, relationRows, rng.derive('init'), config.initStd);
  const shuffleRng = rng.derive('shuffle');
  const samplerRng = rng.derive('sampler');
  const optE = createOptimizer(config.optimizer, nE, structuralWidth, { lr: config.lr });
  const optR = createOptimizer(config.optimizer, relationRows, scorer.relationWidth, { lr: config.lr });
  const paramOpt = mm ? new DenseOptimizer(mm.model.params, config.optimizer, config.denseLr > 0 ? config.denseLr : config.lr) : undefined;
  const complexEntities = isComplexLayout(structuralWidth, config.dim);
  const complexRelations = isComplexLayout(scorer.relationWidth, config.dim);
  const n3Weight = config.regularizer === 'n3' ? config.regWeight : 0;
  if (mm && config.regularizer === 'l2') throw new Error(`config: multimodal models support regularizer 'n3' or 'none', got 'l2'`);
  if (mm && config.training === 'kvsall') throw new Error(`config: multimodal models train with 'negative-sampling' or '1vsall', got 'kvsall'`);

  const train = reciprocal ? withReciprocals(dataset.train, nR) : dataset.train;
  let runBatch: (order: Int32Array, from: number, to: number) => number;
  let units: number; // items shuffled per epoch: triples, or KvsAll queries
  let disposeStep = (): void => {};
  /** The run's dense engine, set for the models' dense products until the step is disposed. */
  const useRunEngine = (): DenseHead => {
    const head = deps.denseHead ?? selectDenseHead(config.engine, log);
    setTensorEngine(head);
    const prev = disposeStep;
    disposeStep = () => {
      prev();
      setTensorEngine(undefined);
      if (!deps.denseHead) head.dispose();
    };
    return head;
  };
  if (!oneVsAll) {
    const sampler = new NegativeSampler(nE, config.negatives, config.sampler, config.sampler === 'bernoulli' ? deps.headProbabilities() : undefined, samplerRng);
    const loss = createLoss(config.loss, { margin: config.margin, gamma: config.margin, adversarialTemperature: config.adversarialTemperature, labelSmoothing: config.labelSmoothing });
    const fused = mm !== undefined && config.useKernel && fusedMultimodalApplies(mm.model, mm.imml, n3Weight);
    const step = mm && fused
      ? new FusedMultimodalNegativeSamplingStep({
        model: mm.model, tables, entityOptimizer: optE, relationOptimizer: optR, paramOptimizer: paramOpt!,
        n3Weight, auxWeight: config.auxWeight, loss, sampler, negatives: config.negatives, complexRows: false,
      })
      : mm
      ? new MultimodalNegativeSamplingStep({
        model: mm.model, tables, imml: mm.imml, entityOptimizer: optE, relationOptimizer: optR, paramOptimizer: paramOpt!,
        n3Weight, auxWeight: config.auxWeight, loss, sampler, negatives: config.negatives, rng: samplerRng, complexRows: isComplexLayout(scorer.entityWidth, config.dim),
      })
      : new NegativeSamplingStep({
        scorer, tables, loss,
        sampler, negatives: config.negatives, entityOptimizer: optE, relationOptimizer: optR,
        regularizer: config.regularizer, regWeight: config.regWeight, complexEntities, complexRelations, useKernel: config.useKernel,
        workers: config.workers,
      });
    disposeStep = () => step.dispose();
    // the fused encoders' dense products run on the dense engine too
    if (step instanceof FusedMultimodalNegativeSamplingStep && mm?.model.fusedEncoder) useRunEngine();
    const batch = new Int32Array(3 * config.batchSize);
    units = train.length / 3;
    runBatch = (order, from, to) => {
      const B = to - from;
      for (let i = 0; i < B; i++) batch.set(train.subarray(3 * order[from + i], 3 * order[from + i] + 3), 3 * i);
      return step.run(batch, B);
    };
  } else {
    // Models' dense all-entity products (OTKGE's fusion) use the same engine during training.
    const head = useRunEngine();
    const queries = buildQueries(train, config.training === 'kvsall', reciprocal);
    const trainAnswers = config.training === 'kvsall' ? new FilterIndex(nE, relationRows, [train]) : undefined;
    const step = mm
      ? new MultimodalOneVsAllStep({
        model: mm.model, tables, imml: mm.imml, entityOptimizer: optE, relationOptimizer: optR, paramOptimizer: paramOpt!,
        n3Weight, auxWeight: config.auxWeight, complexRows: isComplexLayout(scorer.entityWidth, config.dim), head,
      })
      : new OneVsAllStep({
        head,
        scorer, tables, mode: config.training as '1vsall' | 'kvsall', loss: config.loss as 'ce' | 'bce', labelSmoothing: config.labelSmoothing,
        trainAnswers, entityOptimizer: optE, relationOptimizer: optR, regularizer: config.regularizer, regWeight: config.regWeight,
        complexEntities, complexRelations,
      });
    if (step instanceof MultimodalOneVsAllStep) {
      const prev = disposeStep;
      disposeStep = () => {
        step.dispose();
        prev();
      };
    }
    units = queries.count;
    const qb: QueryBatch = { anchors: new Int32Array(config.batchSize), relations: new Int32Array(config.batchSize), answers: new Int32Array(config.batchSize), tailSide: new Uint8Array(config.batchSize), count: 0 };
    runBatch = (order, from, to) => {
      qb.count = to - from;
      for (let i = 0; i < qb.count; i++) {
        const j = order[from + i];
        qb.anchors[i] = queries.anchors[j];
        qb.relations[i] = queries.relations[j];
        qb.answers[i] = queries.answers[j];
        qb.tailSide[i] = queries.tailSide[j];
      }
      return step.run(qb);
    };
  }
  // Every random stream a resumed run must continue (IMML draws its lambdas and partners itself).
  const rngs = [shuffleRng, samplerRng, ...(mm?.imml ? [mm.imml.rng] : [])];
  const extras: ModelExtras | undefined = mm ? { model: mm.model, paramOpt: paramOpt! } : undefined;
  /** The entity table ranking uses: the tables themselves, or every entity's fused representation. */
  const rankingEntities = (): Float32Array => (mm ? representAll(mm.model, tables.entities, nE, mm.imml) : tables.entities);

  const evalScorer = reciprocal ? reciprocalView(scorer) : scorer;
  const evalRelations = (): Float32Array => (reciprocal ? reciprocalRelationTable(tables.relations, nR, scorer.relationWidth) : tables.relations);
  const filter = new FilterIndex(nE, nR, [dataset.train, dataset.valid, dataset.test]);

  let state: TrainState = { epoch: 0, bestEpoch: -1, bestValidMrr: -Infinity, badValidations: 0, history: [], trainSeconds: 0, trainedTriples: 0 };
  fs.mkdirSync(out, { recursive: true });
  if (resume) {
    state = restoreCheckpoint(out, config, tables, optE, optR, rngs, extras);
    log(`resumed from ${path.join(out, CHECKPOINT)} after epoch ${state.epoch}`);
  }
  const guard = new DivergenceGuard();
  /** Stop with where it happened, a hint, and what the run directory holds. */
  const diverged = (what: string, epoch: number, batch: number | undefined): never => {
    const where = batch === undefined ? `after epoch ${epoch}` : `at epoch ${epoch}, batch ${batch}`;
    const left = state.epoch > 0
      ? `The last good checkpoint (after epoch ${state.epoch}) is ${path.join(out, CHECKPOINT)}; --resume keeps the run's settings, so start a new run with a lower --lr (--overwrite or another --out).`
      : `No checkpoint was written (no epoch finished); start again with a lower --lr (--overwrite or another --out).`;
    throw new TrainingDivergedError(
      `training diverged: ${what} ${where} (lr ${config.lr}, model ${config.model}). Lower --lr, add regularisation, or check the data. ${left}`,
    );
  };

  const order = new Int32Array(units);
  const stopEarly = (): boolean => config.patience > 0 && state.badValidations >= config.patience;
  while (state.epoch < config.epochs && !stopEarly()) {
    const epoch = state.epoch + 1;
    mm?.model.refresh?.(tables.entities, nE, rng.derive(`refresh-${epoch}`));
    for (let i = 0; i < units; i++) order[i] = i;
    shuffleRng.shuffle(order);
    const progress = new Progress(`epoch ${epoch}/${config.epochs}`, units, deps.progress ?? true);
    const t0 = performance.now();
    let lossSum = 0;
    let batches = 0;
    for (let from = 0; from < units; from += config.batchSize) {
      const to = Math.min(units, from + config.batchSize);
      const loss = runBatch(order, from, to);
      const problem = guard.check(loss);
      if (problem) {
        progress.stop();
        diverged(problem, epoch, batches + 1);
      }
      lossSum += loss;
      batches++;
      const secs = (performance.now() - t0) / 1000;
      progress.update(to, `loss ${(lossSum / batches).toFixed(4)} ${Math.round(to / Math.max(secs, 1e-9))} /s`);
    }
    progress.stop();
    const bad = firstNonFinite({ entities: tables.entities, relations: tables.relations, ...paramArrays(extras) });
    if (bad) diverged(`parameter ${bad.name}[${bad.index}] is ${bad.value}`, epoch, undefined);
    const seconds = (performance.now() - t0) / 1000;
    state.trainSeconds += seconds;
    state.trainedTriples += units;
    const record: EpochRecord = { epoch, loss: lossSum / batches, seconds, triplesPerSecond: units / seconds, validMrr: null };
    if (config.evalEvery > 0 && epoch % config.evalEvery === 0 && epoch < config.epochs) {
      const metrics = await deps.evaluate(evalScorer, rankingEntities(), evalRelations(), dataset.valid, filter);
      record.validMrr = metrics.both.mrr;
      if (metrics.both.mrr > state.bestValidMrr) {
        state.bestValidMrr = metrics.both.mrr;
        state.bestValid = metrics;
        state.bestEpoch = epoch;
        state.badValidations = 0;
        writeBundle(path.join(out, BEST), modelBundle(tables, extras));
      } else {
        state.badValidations++;
      }
    }
    state.history.push(record);
    state.epoch = epoch;
    log(
      `epoch ${epoch}: loss ${record.loss.toFixed(5)}, ${Math.round(record.triplesPerSecond)} ${oneVsAll ? 'queries' : 'triples'}/s, ${seconds.toFixed(1)} s` +
        (record.validMrr !== null ? `, valid filtered MRR ${record.validMrr.toFixed(4)}${state.bestEpoch === epoch ? ' (best)' : ''}` : ''),
    );
    saveCheckpoint(out, config, tables, optE, optR, rngs, state, extras);
    await writeLossCurve(path.join(out, 'loss.csv'), state.history);
  }
  if (stopEarly()) log(`early stopping after epoch ${state.epoch}: no better valid MRR for ${config.patience} validations`);

  // The final epoch's model competes with the best validated one.
  disposeStep();
  const finalValid = await deps.evaluate(evalScorer, rankingEntities(), evalRelations(), dataset.valid, filter);
  if (finalValid.both.mrr > state.bestValidMrr || state.bestEpoch < 0) {
    state.bestValidMrr = finalValid.both.mrr;
    state.bestValid = finalValid;
    state.bestEpoch = state.epoch;
    writeBundle(path.join(out, BEST), modelBundle(tables, extras));
  }
  loadModelBundle(readBundle(path.join(out, BEST)), tables, extras, path.join(out, BEST));
  return {
    scorer: evalScorer, entities: rankingEntities(), relations: evalRelations(), filter, bestEpoch: state.bestEpoch, epochsRun: state.epoch,
    bestValid: state.bestValid!,
    trainSeconds: state.trainSeconds, triplesPerSecond: state.trainedTriples / Math.max(state.trainSeconds, 1e-9), history: state.history,
  };
}

/** The best model after training, ready for evaluation. */
export interface TrainedModel {
  scorer: Scorer;
  entities: Float32Array;
  relations: Float32Array;
  filter: FilterIndex;
  bestEpoch: number;
  /** Valid metrics of the returned (best) model. */
  bestValid: EvalMetrics;
  epochsRun: number;
  trainSeconds: number;
  triplesPerSecond: number;
  history: EpochRecord[];
}

/** Train triples plus (t, r + R, h) for every (h, r, t). */
export function withReciprocals(train: Int32Array, numRelations: number): Int32Array {
  const out = new Int32Array(2 * train.length);
  out.set(train);
  for (let i = 0; i < train.length; i += 3) {
    out[train.length + i] = train[i + 2];
    out[train.length + i + 1] = train[i + 1] + numRelations;
    out[train.length + i + 2] = train[i];
  }
  return out;
}

/**
 * 1-vs-all queries from training triples: with reciprocal relations, one tail query per triple;
 * otherwise a tail and a head query per triple. KvsAll: the unique (anchor, relation, side) queries.
 */
function buildQueries(train: Int32Array, unique: boolean, reciprocal: boolean): QueryBatch {
  const anchors: number[] = [];
  const relations: number[] = [];
  const answers: number[] = [];
  const sides: number[] = [];
  const seen = new Set<string>();
  const add = (a: number, r: number, b: number, side: number): void => {
    if (unique) {
      const key = `${side}:${a}:${r}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    anchors.push(a);
    relations.push(r);
    answers.push(b);
    sides.push(side);
  };
  for (let i = 0; i < train.length; i += 3) {
    add(train[i], train[i + 1], train[i + 2], 1);
    if (!reciprocal) add(train[i + 2], train[i + 1], train[i], 0);
  }
  return { anchors: Int32Array.from(anchors), relations: Int32Array.from(relations), answers: Int32Array.from(answers), tailSide: Uint8Array.from(sides), count: anchors.length };
}

function optimizerArrays(prefix: string, opt: SparseOptimizer, bundle: ArrayBundle, scalars: Record<string, number>): void {
  for (const [k, v] of Object.entries(opt.state())) {
    if (typeof v === 'number') scalars[`${prefix}.${k}`] = v;
    else bundle[`${prefix}.${k}`] = v;
  }
}

/** The dense parameters, buffers and their optimiser of a multimodal model (checkpointed with the tables). */
interface ModelExtras {
  model: MultimodalKgModel;
  paramOpt: DenseOptimizer;
}

/** Tables plus (for multimodal models) dense parameters and buffers: what model-best.bin holds. */
function modelBundle(tables: KgTables, extras?: ModelExtras): ArrayBundle {
  const bundle: ArrayBundle = { entities: tables.entities, relations: tables.relations };
  if (extras) {
    extras.model.params.toBundle('params', bundle);
    for (const [k, v] of Object.entries(extras.model.buffers ?? {})) bundle[`buffers.${k}`] = v;
  }
  return bundle;
}

/** Inverse of modelBundle (in place). */
export function loadModelBundle(bundle: ArrayBundle, tables: KgTables, extras: ModelExtras | { model: MultimodalKgModel } | undefined, source: string): void {
  if (bundle.entities.length !== tables.entities.length || bundle.relations.length !== tables.relations.length) {
    throw new Error(`${source}: saved tables do not match the configured model (dim or dataset changed?)`);
  }
  tables.entities.set(bundle.entities as Float32Array);
  tables.relations.set(bundle.relations as Float32Array);
  if (!extras) return;
  extras.model.params.fromBundle('params', bundle, source);
  for (const [k, v] of Object.entries(extras.model.buffers ?? {})) {
    const saved = bundle[`buffers.${k}`];
    if (!saved || saved.length !== v.length) throw new Error(`${source}: buffer '${k}' missing or of the wrong size`);
    v.set(saved as Float32Array);
  }
}

/** The dense parameters of a multimodal model by name (for the finiteness check). */
function paramArrays(extras: ModelExtras | undefined): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  if (extras) for (const name of extras.model.params.names()) out[`params.${name}`] = extras.model.params.get(name).data;
  return out;
}

/** What a checkpoint's JSON record holds next to its arrays. */
interface CheckpointMeta {
  version: number;
  state: TrainState;
  scalars: Record<string, number>;
  rngs: number[][];
  /** The config the run was trained with, checked on resume. */
  config: TrainConfig;
}

function saveCheckpoint(out: string, config: TrainConfig, tables: KgTables, optE: SparseOptimizer, optR: SparseOptimizer, rngs: Rng[], state: TrainState, extras?: ModelExtras): void {
  const bundle: ArrayBundle = modelBundle(tables, extras);
  const scalars: Record<string, number> = {};
  optimizerArrays('optE', optE, bundle, scalars);
  optimizerArrays('optR', optR, bundle, scalars);
  extras?.paramOpt.toBundle('optP', bundle, scalars);
  // One file, renamed into place: tables, optimiser state, counters and RNG state change together.
  const meta: CheckpointMeta = { version: CHECKPOINT_VERSION, state, scalars, rngs: rngs.map((r) => r.getState()), config };
  writeBundle(path.join(out, CHECKPOINT), bundle, meta);
}

function restoreCheckpoint(out: string, config: TrainConfig, tables: KgTables, optE: SparseOptimizer, optR: SparseOptimizer, rngs: Rng[], extras?: ModelExtras): TrainState {
  const file = path.join(out, CHECKPOINT);
  if (!fs.existsSync(file)) throw new Error(`${file}: no checkpoint to resume from`);
  const { arrays: bundle, meta } = readBundleWithMeta(file);
  const saved = meta as unknown as CheckpointMeta;
  if (saved.version !== CHECKPOINT_VERSION || typeof saved.state !== 'object' || !Array.isArray(saved.rngs) || saved.rngs.length !== rngs.length
    || typeof saved.scalars !== 'object' || typeof saved.config !== 'object') {
    throw new Error(`${file}: not a checkpoint of this mmkge version and model (version ${JSON.stringify(saved.version)}, ${Array.isArray(saved.rngs) ? saved.rngs.length : '?'} random streams, expected ${rngs.length})`);
  }
  const conflicts = resumeConflicts(saved.config, config);
  if (conflicts.length > 0) throw new Error(`${file}: the checkpoint was trained with other settings: ${conflicts.join('; ')}`);
  loadModelBundle(bundle, tables, extras, file);
  extras?.paramOpt.fromBundle('optP', bundle, saved.scalars);
  for (const [prefix, opt] of [['optE', optE], ['optR', optR]] as const) {
    const s: Record<string, Float32Array | number> = {};
    for (const [k, v] of Object.entries(bundle)) if (k.startsWith(prefix + '.')) s[k.slice(prefix.length + 1)] = v as Float32Array;
    for (const [k, v] of Object.entries(saved.scalars)) if (k.startsWith(prefix + '.')) s[k.slice(prefix.length + 1)] = v;
    opt.loadState(s);
  }
  saved.rngs.forEach((st, i) => rngs[i].setState(st));
  return saved.state;
}

/** Structural and relation tables of a multimodal model, initialised by the model. */
function createMultimodalTables(model: MultimodalKgModel, numEntities: number, numRelationRows: number, rng: Rng): KgTables {
  const entities = sharedFloat32(numEntities * model.structuralWidth);
  const relations = sharedFloat32(numRelationRows * model.scorer.relationWidth);
  model.initStructural(entities, numEntities, rng.derive('init-entities'));
  model.initRelations(relations, numRelationRows, rng.derive('init-relations'));
  return { entities, relations, numEntities, numRelationRows };
}
