import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../config';
import { resumeConflicts } from '../config';
import type { MultimodalKgModel } from '../multimodal';
import type { SparseOptimizer } from '../optim';
import type { DenseOptimizer } from '../params';
import type { Rng } from '../rng';
import { readBundleWithMeta, writeBundle, type ArrayBundle } from '../tensor_file';
import type { EpochRecord } from './loss_curve';
import type { KgTables } from './model';

/**
 * What a run directory holds besides its logs: model-best.bin (the tables and, for multimodal
 * models, dense parameters and buffers) and checkpoint.bin (all of that plus optimiser state,
 * counters and every random stream, so that a resumed run reproduces the uninterrupted one).
 */

/** One checksummed file holding tables, optimiser state, counters and RNG state (tensor_file.ts). */
export const CHECKPOINT = 'checkpoint.bin';
/** The best validated model. */
export const BEST = 'model-best.bin';
const CHECKPOINT_VERSION = 2;

/** Loop counters and history: what a resumed run continues from. */
export interface TrainState {
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

/** Minimal shape of the evaluator's result used by the trainer. */
export interface EvalMetrics {
  both: { mrr: number };
  seconds: number;
  [k: string]: unknown;
}

/** The sparse optimisers of the two tables. */
export interface TableOptimizers {
  entities: SparseOptimizer;
  relations: SparseOptimizer;
}

function optimizerArrays(prefix: string, opt: SparseOptimizer, bundle: ArrayBundle, scalars: Record<string, number>): void {
  for (const [k, v] of Object.entries(opt.state())) {
    if (typeof v === 'number') scalars[`${prefix}.${k}`] = v;
    else bundle[`${prefix}.${k}`] = v;
  }
}

/** The dense parameters, buffers and their optimiser of a multimodal model (checkpointed with the tables). */
export interface ModelExtras {
  model: MultimodalKgModel;
  paramOpt: DenseOptimizer;
}

/** Tables plus (for multimodal models) dense parameters and buffers: what model-best.bin holds. */
export function modelBundle(tables: KgTables, extras?: ModelExtras): ArrayBundle {
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
export function paramArrays(extras: ModelExtras | undefined): Record<string, Float32Array> {
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

/** Writes checkpoint.bin into `out` atomically (one file renamed into place). */
export function saveCheckpoint(out: string, config: TrainConfig, tables: KgTables, opt: TableOptimizers, rngs: Rng[], state: TrainState, extras?: ModelExtras): void {
  const bundle: ArrayBundle = modelBundle(tables, extras);
  const scalars: Record<string, number> = {};
  optimizerArrays('optE', opt.entities, bundle, scalars);
  optimizerArrays('optR', opt.relations, bundle, scalars);
  extras?.paramOpt.toBundle('optP', bundle, scalars);
  // One file, renamed into place: tables, optimiser state, counters and RNG state change together.
  const meta: CheckpointMeta = { version: CHECKPOINT_VERSION, state, scalars, rngs: rngs.map((r) => r.getState()), config };
  writeBundle(path.join(out, CHECKPOINT), bundle, meta);
}

/**
 * Restores tables, optimisers, random streams and (multimodal) parameters in place from
 * checkpoint.bin in `out` and returns the loop state; a checkpoint of another version, model or
 * setting is refused with what differs.
 */
export function restoreCheckpoint(out: string, config: TrainConfig, tables: KgTables, opt: TableOptimizers, rngs: Rng[], extras?: ModelExtras): TrainState {
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
  for (const [prefix, o] of [['optE', opt.entities], ['optR', opt.relations]] as const) {
    const s: Record<string, Float32Array | number> = {};
    for (const [k, v] of Object.entries(bundle)) if (k.startsWith(prefix + '.')) s[k.slice(prefix.length + 1)] = v as Float32Array;
    for (const [k, v] of Object.entries(saved.scalars)) if (k.startsWith(prefix + '.')) s[k.slice(prefix.length + 1)] = v;
    o.loadState(s);
  }
  saved.rngs.forEach((st, i) => rngs[i].setState(st));
  return saved.state;
}
