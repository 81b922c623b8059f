import type { TrainConfig } from '../config';
import { createLoss, type NegativeSamplingLoss } from '../losses';
import { NegativeSampler } from '../sampling';
import { FilterIndex } from '../filter';
import { isComplexLayout } from './model';
import { QueryBatches, TripleBatches, type BatchSource } from './batches';
import type { BoundTrainingStep, StepContext, TrainingStep, TrainingUnit } from './step';
import { NegativeSamplingStep } from './negative_sampling';
import { OneVsAllStep } from './one_vs_all';
import { MultimodalNegativeSamplingStep } from './multimodal_ns';
import { MultimodalOneVsAllStep } from './multimodal_1vsall';
import { FusedMultimodalNegativeSamplingStep, fusedMultimodalApplies } from './fused_multimodal_ns';
import type { MultimodalStepParts } from './multimodal_step';

/** A training scheme: the `training` key of the config. */
export type TrainingScheme = TrainConfig['training'];

/** One registered training step: which runs it trains and how it is built. */
export interface TrainingStepEntry {
  /** The schemes (config `training`) it trains. */
  readonly schemes: readonly TrainingScheme[];
  /** Structural models (embedding tables only) or multimodal models. */
  readonly models: 'structural' | 'multimodal';
  /** Whether it trains this run; of the steps that match a run, the first in registry order that applies wins. */
  applies?(ctx: StepContext): boolean;
  create(ctx: StepContext): BoundTrainingStep;
}

/**
 * The training steps by name. A run is trained by the first entry whose `models` and `schemes`
 * match it and that `applies`; the fused multimodal step comes before the autodiff one, which
 * trains every multimodal model the fused one cannot (IMML, N3, no kernel).
 */
export const TRAINING_STEPS = {
  'negative-sampling': {
    schemes: ['negative-sampling'],
    models: 'structural',
    create: (ctx) => {
      const { config } = ctx;
      const sampler = samplerOf(ctx);
      const loss = negativeSamplingLoss(config);
      const step = new NegativeSamplingStep({
        scorer: ctx.scorer, tables: ctx.tables, loss,
        sampler, negatives: config.negatives, entityOptimizer: ctx.entityOptimizer, relationOptimizer: ctx.relationOptimizer,
        regularizer: config.regularizer, regWeight: config.regWeight,
        complexEntities: isComplexLayout(ctx.scorer.entityWidth, config.dim), complexRelations: isComplexLayout(ctx.scorer.relationWidth, config.dim),
        useKernel: config.useKernel, workers: config.workers,
      });
      return bind('triples', new TripleBatches(ctx.train, config.batchSize), step);
    },
  },
  '1vsall': {
    schemes: ['1vsall', 'kvsall'],
    models: 'structural',
    create: (ctx) => {
      const { config, tables } = ctx;
      const kvsall = config.training === 'kvsall';
      // Models' dense all-entity products use the same engine during training.
      const head = ctx.denseHead();
      const batches = new QueryBatches(ctx.train, config.batchSize, kvsall, reciprocalOn(config));
      const step = new OneVsAllStep({
        head, scorer: ctx.scorer, tables, mode: kvsall ? 'kvsall' : '1vsall', loss: config.loss as 'ce' | 'bce', labelSmoothing: config.labelSmoothing,
        trainAnswers: kvsall ? new FilterIndex(tables.numEntities, tables.numRelationRows, [ctx.train]) : undefined,
        entityOptimizer: ctx.entityOptimizer, relationOptimizer: ctx.relationOptimizer, regularizer: config.regularizer, regWeight: config.regWeight,
        complexEntities: isComplexLayout(ctx.scorer.entityWidth, config.dim), complexRelations: isComplexLayout(ctx.scorer.relationWidth, config.dim),
      });
      return bind('queries', batches, step);
    },
  },
  'fused-multimodal-negative-sampling': {
    schemes: ['negative-sampling'],
    models: 'multimodal',
    applies: (ctx) => ctx.config.useKernel && fusedMultimodalApplies(ctx.multimodal!.model, ctx.multimodal!.imml, n3Weight(ctx.config)),
    create: (ctx) => {
      const { config } = ctx;
      const sampler = samplerOf(ctx);
      const loss = negativeSamplingLoss(config);
      const step = new FusedMultimodalNegativeSamplingStep({
        ...multimodalParts(ctx), complexRows: false, loss, sampler, negatives: config.negatives, perTermLoss: config.perTermLoss,
      });
      // the fused encoders' dense products run on the dense engine too
      if (ctx.multimodal!.model.fusedEncoder) ctx.denseHead();
      return bind('triples', new TripleBatches(ctx.train, config.batchSize), step);
    },
  },
  'multimodal-negative-sampling': {
    schemes: ['negative-sampling'],
    models: 'multimodal',
    create: (ctx) => {
      const { config } = ctx;
      const sampler = samplerOf(ctx);
      const loss = negativeSamplingLoss(config);
      const step = new MultimodalNegativeSamplingStep({
        ...multimodalParts(ctx), imml: ctx.multimodal!.imml, loss, sampler, negatives: config.negatives, rng: ctx.samplerRng,
      });
      return bind('triples', new TripleBatches(ctx.train, config.batchSize), step);
    },
  },
  'multimodal-1vsall': {
    schemes: ['1vsall'],
    models: 'multimodal',
    create: (ctx) => {
      const { config } = ctx;
      const head = ctx.denseHead();
      const batches = new QueryBatches(ctx.train, config.batchSize, false, reciprocalOn(config));
      const step = new MultimodalOneVsAllStep({ ...multimodalParts(ctx), imml: ctx.multimodal!.imml, head });
      return bind('queries', batches, step);
    },
  },
} as const satisfies Record<string, TrainingStepEntry>;

/** Names of the registered training steps. */
export type TrainingStepName = keyof typeof TRAINING_STEPS;

/**
 * The name of the step that trains a run (see {@link TRAINING_STEPS}); a scheme no step of
 * the model's kind trains is a config error naming the schemes that are.
 */
export function trainingStepFor(ctx: StepContext): TrainingStepName {
  const models = ctx.multimodal ? 'multimodal' : 'structural';
  const entries = Object.entries(TRAINING_STEPS) as [TrainingStepName, TrainingStepEntry][];
  const found = entries.find(([, e]) => e.models === models && e.schemes.includes(ctx.config.training) && (e.applies?.(ctx) ?? true));
  if (found) return found[0];
  const schemes = [...new Set(entries.filter(([, e]) => e.models === models).flatMap(([, e]) => e.schemes))];
  throw new Error(`config: ${models} models train with ${schemes.map((s) => `'${s}'`).join(' or ')}, got '${ctx.config.training}'`);
}

/** Builds the step that trains a run, bound to its batches. */
export function createTrainingStep(ctx: StepContext): BoundTrainingStep {
  const name = trainingStepFor(ctx);
  if (ctx.config.perTermLoss && name !== 'fused-multimodal-negative-sampling') {
    throw new Error(
      `config: perTermLoss needs the fused multimodal negative-sampling step (ikrl, tbkge, mmkrl with --training negative-sampling, ` +
        `no IMML, no N3, useKernel on); this run trains with '${name}'`,
    );
  }
  return TRAINING_STEPS[name].create(ctx);
}

/** A step and its batch source as the loop drives them. */
function bind<Batch>(unit: TrainingUnit, batches: BatchSource<Batch>, step: TrainingStep<Batch>): BoundTrainingStep {
  return {
    unit,
    units: batches.units,
    runBatch: (order, from, to) => step.run(batches.fill(order, from, to), to - from),
    dispose: () => step.dispose?.(),
  };
}

function reciprocalOn(config: TrainConfig): boolean {
  return config.training !== 'negative-sampling' && config.reciprocal;
}

function samplerOf(ctx: StepContext): NegativeSampler {
  const { config } = ctx;
  return new NegativeSampler(ctx.tables.numEntities, config.negatives, config.sampler, config.sampler === 'bernoulli' ? ctx.headProbabilities() : undefined, ctx.samplerRng);
}

function negativeSamplingLoss(config: TrainConfig): NegativeSamplingLoss {
  return createLoss(config.loss, { margin: config.margin, gamma: config.margin, adversarialTemperature: config.adversarialTemperature, labelSmoothing: config.labelSmoothing });
}

/** N3 weight of a multimodal step (regularizer 'n3'), 0 when off; L2 is not implemented on the fused representations. */
function n3Weight(config: TrainConfig): number {
  if (config.regularizer === 'l2') throw new Error(`config: multimodal models support regularizer 'n3' or 'none', got 'l2'`);
  return config.regularizer === 'n3' ? config.regWeight : 0;
}

/** The parts every multimodal step shares (without IMML: the fused step trains only without it). */
function multimodalParts(ctx: StepContext): MultimodalStepParts {
  const { config } = ctx;
  const { model } = ctx.multimodal!;
  return {
    model, tables: ctx.tables, entityOptimizer: ctx.entityOptimizer, relationOptimizer: ctx.relationOptimizer, paramOptimizer: ctx.paramOptimizer!,
    n3Weight: n3Weight(config), auxWeight: config.auxWeight, complexRows: isComplexLayout(model.scorer.entityWidth, config.dim),
  };
}
