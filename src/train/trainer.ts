import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../config';
import type { KgDataset } from '../kg';
import type { Scorer } from '../scorer';
import { Rng } from '../rng';
import { FilterIndex } from '../filter';
import { createOptimizer } from '../optim';
import { writeBundle, readBundle } from '../tensor_file';
import { DivergenceGuard, firstNonFinite } from './divergence';
import { Progress } from '../progress';
import { yieldToSignals } from '../run_dir';
import { createMultimodalTables, createTables } from './model';
import { initTablesFrom } from './init_from';
import { withReciprocals } from './batches';
import { reciprocalView, reciprocalRelationTable } from './reciprocal';
import { writeLossCurve, type EpochRecord } from './loss_curve';
import type { MultimodalKgModel } from '../multimodal';
import type { RepresentationPlugin } from '../plugin';
import { DenseOptimizer } from '../params';
import { rankingScorer, rankingTable } from './multimodal_step';
import type { DenseHead } from '../dense/head';
import { selectDenseHead } from '../dense/select';
import { RunEngine } from './run_engine';
import { createTrainingStep } from './step_registry';
import type { BoundTrainingStep } from './step';
import {
  BEST, CHECKPOINT, loadModelBundle, modelBundle, paramArrays, restoreCheckpoint, saveCheckpoint,
  type EvalMetrics, type ModelExtras, type TrainState,
} from './checkpoint';

export type { EvalMetrics } from './checkpoint';

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

/** Raised when the loss becomes NaN, infinite or explodes, or a parameter stops being finite: the run stops instead of writing garbage. */
export class TrainingDivergedError extends Error {}

/**
 * The training loop: epochs of shuffled batches through the run's training step (resolved from
 * the config by step_registry.ts), validation every `evalEvery` epochs with early stopping on
 * filtered MRR, the best model and an atomic checkpoint after every epoch. `resume` continues
 * from the checkpoint in `config.out` and reproduces the uninterrupted run exactly (all RNG and
 * optimiser state is checkpointed).
 */
export async function trainModel(config: TrainConfig, deps: TrainerDeps, resume = false): Promise<TrainedModel> {
  const { dataset, log } = deps;
  const out = config.out;
  const nE = dataset.entities.length;
  const nR = dataset.relations.length;
  const reciprocal = config.training !== 'negative-sampling' && config.reciprocal;
  const relationRows = reciprocal ? 2 * nR : nR;
  const mm = deps.createMultimodal?.(config);
  const scorer = mm ? mm.model.scorer : deps.createScorer(config);
  const structuralWidth = mm ? mm.model.structuralWidth : scorer.entityWidth;

  const rng = new Rng(config.seed);
  const tables = mm ? createMultimodalTables(mm.model, nE, relationRows, rng.derive('init')) : createTables(scorer, nE, relationRows, rng.derive('init'), config.initStd);
  // A resumed run reads its tables from its own checkpoint instead.
  if (config.initFrom !== '' && !resume) log(initTablesFrom(config.initFrom, tables, config.dataset));
  const shuffleRng = rng.derive('shuffle');
  const samplerRng = rng.derive('sampler');
  const opt = {
    entities: createOptimizer(config.optimizer, nE, structuralWidth, { lr: config.lr }),
    relations: createOptimizer(config.optimizer, relationRows, scorer.relationWidth, { lr: config.lr }),
  };
  const paramOpt = mm ? new DenseOptimizer(mm.model.params, config.optimizer, config.denseLr > 0 ? config.denseLr : config.lr) : undefined;
  const engine = new RunEngine(() => selectDenseHead(config.engine, log), deps.denseHead);
  // Every random stream a resumed run must continue (IMML draws its lambdas and partners itself).
  const rngs = [shuffleRng, samplerRng, ...(mm?.imml ? [mm.imml.rng] : [])];
  const extras: ModelExtras | undefined = mm ? { model: mm.model, paramOpt: paramOpt! } : undefined;
  /** The entity table ranking uses: the tables themselves, or every entity's fused representation (or the model's ranking view of them). */
  const rankingEntities = (): Float32Array => (mm ? rankingTable(mm.model, tables.entities, nE, mm.imml).entities : tables.entities);
  const rankScorer = mm ? rankingScorer(mm.model) : scorer;

  const evalScorer = reciprocal ? reciprocalView(rankScorer) : rankScorer;
  const evalRelations = (): Float32Array => (reciprocal ? reciprocalRelationTable(tables.relations, nR, scorer.relationWidth) : tables.relations);
  const filter = new FilterIndex(nE, nR, [dataset.train, dataset.valid, dataset.test]);

  let state: TrainState = { epoch: 0, bestEpoch: -1, bestValidMrr: -Infinity, badValidations: 0, history: [], trainSeconds: 0, trainedTriples: 0 };
  /**
   * Validates the current model as the end of `record`'s epoch (none: before any epoch): its valid
   * MRR joins the curve; a better one becomes the best model, a worse one counts toward early stopping.
   */
  const validate = async (record: EpochRecord | undefined): Promise<void> => {
    const metrics = await deps.evaluate(evalScorer, rankingEntities(), evalRelations(), dataset.valid, filter);
    if (record) record.validMrr = metrics.both.mrr;
    if (metrics.both.mrr > state.bestValidMrr || state.bestEpoch < 0) {
      state.bestValidMrr = metrics.both.mrr;
      state.bestValid = metrics;
      state.bestEpoch = record ? record.epoch : state.epoch;
      state.badValidations = 0;
      writeBundle(path.join(out, BEST), modelBundle(tables, extras));
    } else {
      state.badValidations++;
    }
  };
  /** The checkpoint and loss.csv, after every change of the state they hold. */
  const persist = async (): Promise<void> => {
    saveCheckpoint(out, config, tables, opt, rngs, state, extras);
    await writeLossCurve(path.join(out, 'loss.csv'), state.history);
  };
  let step: BoundTrainingStep | undefined;
  try {
    step = createTrainingStep({
      config, train: reciprocal ? withReciprocals(dataset.train, nR) : dataset.train, scorer, multimodal: mm, tables,
      entityOptimizer: opt.entities, relationOptimizer: opt.relations, paramOptimizer: paramOpt,
      samplerRng, headProbabilities: deps.headProbabilities, denseHead: () => engine.acquire(),
    });
    const units = step.units;
    fs.mkdirSync(out, { recursive: true });
    if (resume) {
      state = restoreCheckpoint(out, config, tables, opt, rngs, extras);
      log(`resumed from ${path.join(out, CHECKPOINT)} after epoch ${state.epoch}`);
      // A run that stopped (or ended its shorter schedule) before validating its last epoch
      // validates it now, if the schedule continuing from here validates that epoch: the same
      // evaluations, best model and early-stopping count as the uninterrupted run.
      const last = state.history[state.history.length - 1];
      if (last && last.validMrr === null && state.epoch < config.epochs && config.evalEvery > 0 && state.epoch % config.evalEvery === 0) {
        await validate(last);
        log(`epoch ${last.epoch} (validated on resume): valid filtered MRR ${last.validMrr!.toFixed(4)}${state.bestEpoch === last.epoch ? ' (best)' : ''}`);
        await persist();
      }
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
        const loss = step.runBatch(order, from, to);
        const problem = guard.check(loss);
        if (problem) {
          progress.stop();
          diverged(problem, epoch, batches + 1);
        }
        lossSum += loss;
        batches++;
        const secs = (performance.now() - t0) / 1000;
        progress.update(to, `loss ${(lossSum / batches).toFixed(4)} ${Math.round(to / Math.max(secs, 1e-9))} /s`);
        await yieldToSignals();
      }
      progress.stop();
      const bad = firstNonFinite({ entities: tables.entities, relations: tables.relations, ...paramArrays(extras) });
      if (bad) diverged(`parameter ${bad.name}[${bad.index}] is ${bad.value}`, epoch, undefined);
      const seconds = (performance.now() - t0) / 1000;
      state.trainSeconds += seconds;
      state.trainedTriples += units;
      const record: EpochRecord = { epoch, loss: lossSum / batches, seconds, triplesPerSecond: units / seconds, validMrr: null };
      if (config.evalEvery > 0 && epoch % config.evalEvery === 0 && epoch < config.epochs) await validate(record);
      state.history.push(record);
      state.epoch = epoch;
      log(
        `epoch ${epoch}: loss ${record.loss.toFixed(5)}, ${Math.round(record.triplesPerSecond)} ${step.unit}/s, ${seconds.toFixed(1)} s` +
          (record.validMrr !== null ? `, valid filtered MRR ${record.validMrr.toFixed(4)}${state.bestEpoch === epoch ? ' (best)' : ''}` : ''),
      );
      await persist();
    }
    if (stopEarly()) log(`early stopping after epoch ${state.epoch}: no better valid MRR for ${config.patience} validations`);
  } finally {
    // The step's tensors and the dense engine go before the final evaluation, also when the run stops.
    step?.dispose();
    engine.release();
  }

  // The final epoch's model competes with the best validated one, unless the loop validated it
  // (early stopping); its valid MRR joins the loss curve, so every evaluation is in loss.csv.
  // The checkpoint keeps that evaluation, so a resume with more --epochs continues from it.
  const last = state.history[state.history.length - 1];
  if (!last || last.validMrr === null) {
    await validate(last);
    if (last) {
      log(`epoch ${last.epoch} (final): valid filtered MRR ${last.validMrr!.toFixed(4)}${state.bestEpoch === last.epoch ? ' (best)' : ''}`);
      await persist();
    }
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
