/**
 * The dense all-entity head: every 1-vs-all / KvsAll model and every matrix-product ranking
 * spends its time here. Given query rows Q [B, d] and the entity table E [N, d] (row-major
 * Float32Arrays), an engine computes S = Q E^T and, for training, the loss over all N
 * candidates with its gradients dQ = G E and dE = G^T Q (G = dLoss/dS). What builds Q from
 * (h, r) and what carries dQ back to the anchor and relation rows stays with the scorer.
 */
import type { Schema } from '../options';
import type { SharedOptimizerState } from '../optim';

/** Engines behind the head (see select.ts). */
export const ENGINE_NAMES = ['ort-cpu', 'ort-webgpu', 'ort-cuda', 'tfjs', 'js'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** `auto` or an engine name, as the `engine` config key / `--engine` flag takes it. */
export type EngineChoice = EngineName | 'auto';

/** The dense engine's key of a training config, with its default and help. */
export const ENGINE_OPTIONS: Schema<{ engine: EngineChoice }> = {
  engine: { type: 'enum', default: 'auto', values: ['auto', ...ENGINE_NAMES], help: 'dense engine for all-entity scoring (auto = ort-cpu where it loads, else tfjs)' },
};

/** Throws one message naming the flag unless `name` is `auto` or a known engine. */
export function checkEngineName(name: string): EngineChoice {
  if (name === 'auto' || (ENGINE_NAMES as readonly string[]).includes(name)) return name as EngineChoice;
  throw new Error(`--engine: expected auto or one of ${ENGINE_NAMES.join(', ')}, got '${name}'`);
}

/**
 * Targets of a batch over the N candidates:
 * - `index`:  one answer per query (1-vs-all, Lacroix et al. 2018), label-smoothed to
 *             (1 - eps) onehot + eps / N when `smoothing` = eps > 0;
 * - `mix`:    lambda_i onehot(a_i) + (1 - lambda_i) onehot(b_i) (IMML's L_beta soft targets, Eq. 6);
 * - `rows`:   dense [B, N] target rows given by the caller (KvsAll multi-hot, Dettmers et al. 2018).
 */
export type DenseTargets =
  | { kind: 'index'; answers: Int32Array; smoothing?: number }
  | { kind: 'mix'; a: Int32Array; b: Int32Array; lambda: Float32Array }
  | { kind: 'rows'; rows: Float32Array };

/**
 * The loss of one batch: `ce` = softmax cross-entropy against target rows summing to 1,
 * per row -sum_j Y_ij log softmax(S_i)_j; `bce` = per row sum_j softplus(S_ij) - Y_ij S_ij.
 * Loss = weight * sum over rows (weight defaults to 1 / B: the mean over queries).
 */
export interface HeadLoss {
  loss: 'ce' | 'bce';
  targets: DenseTargets;
  weight?: number;
}

/** Q [B, d] against E [N, d]. Arrays may be longer (reused buffers): only the first B*d / N*d floats are read. */
export interface DenseBlock {
  Q: Float32Array;
  E: Float32Array;
  B: number;
  N: number;
  d: number;
}

/** Where gradients go: dQ [B, d], dE [N, d] (overwritten, not accumulated). */
export interface HeadGrads {
  dQ: Float32Array;
  dE: Float32Array;
}

/** An entity table prepared once for many score blocks (ranking); engine-specific. */
export interface ScoreTable {
  readonly N: number;
  readonly d: number;
  dispose(): void;
}

/** A float32 tensor handed to a graph: its first prod(dims) floats, in row-major order. */
export interface GraphTensor {
  data: Float32Array;
  dims: number[];
}

/** The floats feed `name` of graph `key` uses (prod(dims)); throws naming both when it holds fewer. */
export function graphFeedSize(key: string, name: string, t: GraphTensor): number {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length < n) throw new Error(`dense graph ${key}: '${name}' holds ${t.data.length} floats, need [${t.dims.join(', ')}]`);
  return n;
}

/**
 * One optimiser step that a graph thread applies right after the run whose output `gradient` is
 * the gradient of `table` (IMML's projection heads), so the caller never receives that gradient:
 * `table` and the optimiser state lie on SharedArrayBuffers, and `scalar` is what the optimiser's
 * `beginRowStep` returned for this step (the per-element arithmetic is that of its dense step).
 */
export interface GraphParamUpdate {
  readonly gradient: string;
  readonly table: Float32Array;
  readonly optimizer: SharedOptimizerState;
  readonly scalar: number;
}

export interface DenseHead {
  readonly name: EngineName;
  /** One line for logs and metrics.json: library, version, device, threads. */
  readonly description: string;
  /** Loss of the batch; writes dQ and dE. */
  lossAndGrads(block: DenseBlock, loss: HeadLoss, out: HeadGrads): number;
  /** Prepare E [N, d] for `scores` (the table must not change while the handle is used). */
  prepareScores(E: Float32Array, N: number, d: number): ScoreTable;
  /** S = Q E^T for B query rows into out[0 .. B*N). */
  scores(table: ScoreTable, Q: Float32Array, B: number, out: Float32Array): void;
  /**
   * General product C [m, n] = op(A) op(B), op(A) [m, k], op(B) [k, n], op = transpose when the
   * flag is set (A stored [k, m] / B stored [n, k] then): OTKGE's all-entity fusion and its gradients.
   */
  matMul(A: Float32Array, B: Float32Array, m: number, k: number, n: number, out: Float32Array, transA?: boolean, transB?: boolean): void;
  /**
   * Runs a graph built in code (`build()` returns its ONNX bytes; one session per `key`, built on
   * first use) on the feeds and returns the named outputs as new arrays (row-major). Only engines
   * that execute ONNX graphs have it (ORT); a caller keeps a typed-array path for the others.
   */
  runGraph?(key: string, build: () => Uint8Array, feeds: Record<string, GraphTensor>, outputs: readonly string[]): Record<string, Float32Array>;
  /**
   * Optional: `runGraph` on a thread of its own. Returns at once with a function that blocks until
   * the outputs are there (the same numbers as runGraph), so the caller can work meanwhile. The
   * output arrays may be reused by the next run of the same graph: copy what must outlive it.
   * `updates`: optimiser steps the thread applies from further outputs of the run before it answers.
   */
  startGraph?(
    key: string, build: () => Uint8Array, feeds: Record<string, GraphTensor>, outputs: readonly string[], updates?: readonly GraphParamUpdate[],
  ): () => Record<string, Float32Array>;
  dispose(): void;
}

/** Writes the dense [B, N] target rows of `t` into Y (the first B*N floats). */
export function fillTargets(t: DenseTargets, B: number, N: number, Y: Float32Array): void {
  if (t.kind === 'rows') {
    if (t.rows.length < B * N) throw new Error(`dense head: target rows hold ${t.rows.length} floats, need ${B} x ${N}`);
    Y.set(t.rows.subarray(0, B * N));
    return;
  }
  if (t.kind === 'index') {
    const eps = t.smoothing ?? 0;
    Y.fill(eps / N, 0, B * N);
    for (let i = 0; i < B; i++) Y[i * N + checkId(t.answers[i], N)] += 1 - eps;
    return;
  }
  Y.fill(0, 0, B * N);
  for (let i = 0; i < B; i++) {
    Y[i * N + checkId(t.a[i], N)] += t.lambda[i];
    Y[i * N + checkId(t.b[i], N)] += 1 - t.lambda[i];
  }
}

function checkId(id: number, N: number): number {
  if (!(id >= 0 && id < N)) throw new Error(`dense head: target entity ${id} outside 0..${N - 1}`);
  return id;
}

/** Shape checks every engine runs first (one clear message instead of a native crash). */
export function checkBlock(b: DenseBlock, out?: HeadGrads): void {
  const { B, N, d } = b;
  for (const [k, v] of [['B', B], ['N', N], ['d', d]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`dense head: ${k} must be a positive integer, got ${v}`);
  }
  if (b.Q.length < B * d) throw new Error(`dense head: Q holds ${b.Q.length} floats, need ${B} x ${d}`);
  if (b.E.length < N * d) throw new Error(`dense head: E holds ${b.E.length} floats, need ${N} x ${d}`);
  if (out && (out.dQ.length < B * d || out.dE.length < N * d)) throw new Error(`dense head: gradient buffers too small for B=${B}, N=${N}, d=${d}`);
}

/** Size checks of `matMul`. */
export function checkMatMul(A: Float32Array, B: Float32Array, m: number, k: number, n: number, out: Float32Array): void {
  for (const [key, v] of [['m', m], ['k', k], ['n', n]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`dense matMul: ${key} must be a positive integer, got ${v}`);
  }
  if (A.length < m * k || B.length < k * n || out.length < m * n) throw new Error(`dense matMul: buffers too small for [${m}, ${k}] x [${k}, ${n}]`);
}

/** Floating-point operations of one forward + backward (three products of 2 B N d each). */
export function headFlops(B: number, N: number, d: number): number {
  return 6 * B * N * d;
}
