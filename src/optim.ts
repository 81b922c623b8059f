import { lookup, type Registry, type Schema } from './options';
/**
 * Optimisers for embedding tables held as row-major Float32Arrays ([numRows * width]),
 * updating only the rows that received a gradient (sparse), plus a dense step for when every
 * row has one. Gradients are d loss / d parameter (the optimisers descend: p <- p - lr * ...).
 *
 * Arithmetic is float64 per element, state and parameters stored as float32; the update of
 * an element depends only on its own state, the gradient and the global step count, so a
 * run resumed from `state()` is bit-identical to an uninterrupted one.
 */

/** Serialisable optimiser state (checkpoints): typed arrays are copies, numbers are counters. */
export type OptimizerState = Record<string, Float32Array | number>;

/**
 * Optimiser of one embedding table [numRows * width] (row-major float32).
 * Sparse `step` touches only the listed rows; `stepDense` updates every row.
 */
export interface SparseOptimizer {
  /** Registry key: 'adagrad' | 'adam'. */
  readonly name: string;
  /** Rows of the table this optimiser was built for. */
  readonly numRows: number;
  /** Floats per row. */
  readonly width: number;
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  /**
   * One sparse step. rows[0..count) are unique row ids of `table`; grads is compact
   * [count * width], row i of grads being d loss / d table row rows[i]. Rows not listed are
   * untouched (parameters and optimiser state). Counts as one step of the global step count.
   */
  step(table: Float32Array, width: number, rows: Int32Array, count: number, grads: Float32Array): void;
  /** One dense step: grads [numRows * width] is the full gradient of `table`. */
  stepDense(table: Float32Array, width: number, grads: Float32Array): void;
  /** A copy of the optimiser state (for checkpoints). */
  state(): OptimizerState;
  /** Restores a state produced by `state()` of an optimiser of the same kind and shape (copied in). */
  loadState(s: OptimizerState): void;
  /**
   * Optional, for data-parallel training: moves the state onto SharedArrayBuffers (values kept, later
   * `loadState` copies in place) and returns what another thread needs to update row ranges of a step.
   */
  shareState?(): SharedOptimizerState;
  /**
   * Optional, with `shareState`: starts one sparse step that `applyRowRange` then performs over disjoint
   * slot ranges (in any thread): advances the global step count once and returns the step's scalar.
   */
  beginRowStep?(): number;
}

/**
 * An optimiser's state on SharedArrayBuffers plus its constants: with the scalar of `beginRowStep`,
 * all `applyRowRange` needs (plain data, so it can be posted to a worker thread).
 */
export interface SharedOptimizerState {
  readonly name: 'adagrad' | 'adam';
  /** Adagrad: [sum]; Adam: [expAvg, expAvgSq]. */
  readonly arrays: Float32Array[];
  readonly eps: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
}

/**
 * Slots [from, to) of one sparse step started by `beginRowStep` (which returned `scalar`; `rows`
 * null: the single row 0, so a whole table as one row of `width` = its length is its dense step): the same
 * per-element arithmetic as `step`, so disjoint ranges applied in any order and in any threads give the
 * table and state one `step` over all slots gives (an element's update reads only its own state).
 */
export function applyRowRange(
  s: SharedOptimizerState, scalar: number, table: Float32Array, width: number, rows: Int32Array | null, from: number, to: number, grads: Float32Array,
): void {
  if (s.name === 'adagrad') adagradRows(table, s.arrays[0], grads, rows, from, to, width, scalar, s.eps, s.weightDecay);
  else adamRows(table, s.arrays[0], s.arrays[1], grads, rows, from, to, width, s.beta1, s.beta2, s.eps, s.weightDecay, scalar);
}

/** A copy of `a` on a SharedArrayBuffer. */
export function toShared(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(a.length * 4));
  out.set(a);
  return out;
}

/** Options of `createOptimizer`. */
export interface OptimizerOptions {
  /** Learning rate (> 0). */
  lr: number;
  /** Denominator epsilon; default 1e-10 for Adagrad (PyTorch), 1e-8 for Adam. */
  eps?: number;
  /** Adam (beta1, beta2); default (0.9, 0.999). */
  betas?: [number, number];
  /**
   * L2 penalty lambda added to the gradient of the updated rows only: g <- g + lambda * p
   * (coupled, not AdamW). Default 0. Rows not stepped are not decayed.
   */
  weightDecay?: number;
}

function checkStep(
  name: string, numRows: number, w: number, table: Float32Array, width: number,
  rows: Int32Array, count: number, grads: Float32Array,
): void {
  if (width !== w) throw new Error(`${name}: width ${width} differs from the optimiser's ${w}`);
  if (table.length !== numRows * w) throw new Error(`${name}: table has ${table.length} floats, expected ${numRows}*${w}`);
  if (!(Number.isInteger(count) && count >= 0 && count <= rows.length)) {
    throw new Error(`${name}: count ${count} outside [0, rows.length=${rows.length}]`);
  }
  if (grads.length < count * w) throw new Error(`${name}: grads has ${grads.length} floats, need ${count}*${w}`);
  for (let i = 0; i < count; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < numRows)) throw new Error(`${name}: row id ${r} outside [0, ${numRows})`);
  }
}

function checkDense(name: string, numRows: number, w: number, table: Float32Array, width: number, grads: Float32Array): void {
  if (width !== w) throw new Error(`${name}: width ${width} differs from the optimiser's ${w}`);
  const n = numRows * w;
  if (table.length !== n || grads.length < n) {
    throw new Error(`${name}: table/grads have ${table.length}/${grads.length} floats, expected ${numRows}*${w}`);
  }
}

function checkShape(name: string, numRows: number, width: number): void {
  if (!(Number.isInteger(numRows) && numRows > 0 && Number.isInteger(width) && width > 0)) {
    throw new Error(`${name}: numRows and width must be positive integers, got ${numRows}, ${width}`);
  }
}

function loadArray(name: string, s: OptimizerState, key: string, into: Float32Array): void {
  const v = s[key];
  if (!(v instanceof Float32Array) || v.length !== into.length) {
    throw new Error(`${name}.loadState: '${key}' must be a Float32Array of length ${into.length}`);
  }
  into.set(v);
}

function loadCount(name: string, s: OptimizerState, key: string): number {
  const v = s[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new Error(`${name}.loadState: '${key}' must be a non-negative integer`);
  }
  return v;
}

/**
 * Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization"), as torch.optim.Adagrad with lr_decay = 0 and
 * initial_accumulator_value = 0: per element, g <- g + lambda p;  G <- G + g^2;  p <- p - lr * g / (sqrt(G) + eps).
 * eps defaults to 1e-10 (PyTorch). State: accumulator G [numRows * width] (float32, starts 0).
 * The sparse step updates G and p of the listed rows only (as PyTorch's sparse-gradient
 * path); sparse and dense agree bit for bit when all rows are listed, and (weightDecay = 0)
 * a dense step whose unlisted rows have g = 0 equals the sparse step, since g = 0 changes nothing.
 */
export class Adagrad implements SparseOptimizer {
  readonly name = 'adagrad';
  lr: number;
  /** Denominator epsilon. */
  readonly eps: number;
  /** Coupled L2 penalty on stepped rows. */
  readonly weightDecay: number;
  private sum: Float32Array;
  private steps = 0;

  constructor(readonly numRows: number, readonly width: number, options: OptimizerOptions) {
    checkShape('adagrad', numRows, width);
    this.lr = options.lr;
    this.eps = options.eps ?? 1e-10;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.lr > 0 && this.eps >= 0 && this.weightDecay >= 0)) {
      throw new Error(`adagrad: need lr > 0, eps >= 0, weightDecay >= 0, got ${this.lr}, ${this.eps}, ${this.weightDecay}`);
    }
    this.sum = new Float32Array(numRows * width);
  }

  step(table: Float32Array, width: number, rows: Int32Array, count: number, grads: Float32Array): void {
    checkStep(this.name, this.numRows, this.width, table, width, rows, count, grads);
    this.steps++;
    adagradRows(table, this.sum, grads, rows, 0, count, width, this.lr, this.eps, this.weightDecay);
  }

  stepDense(table: Float32Array, width: number, grads: Float32Array): void {
    checkDense(this.name, this.numRows, this.width, table, width, grads);
    this.steps++;
    adagradSpan(table, this.sum, grads, 0, 0, table.length, this.lr, this.eps, this.weightDecay);
  }

  shareState(): SharedOptimizerState {
    if (!(this.sum.buffer instanceof SharedArrayBuffer)) this.sum = toShared(this.sum);
    return { name: this.name, arrays: [this.sum], eps: this.eps, weightDecay: this.weightDecay, beta1: 0, beta2: 0 };
  }

  /** Returns the learning rate of the step. */
  beginRowStep(): number {
    this.steps++;
    return this.lr;
  }

  state(): OptimizerState {
    return { step: this.steps, sum: this.sum.slice() };
  }

  loadState(s: OptimizerState): void {
    const steps = loadCount(this.name, s, 'step');
    loadArray(this.name, s, 'sum', this.sum);
    this.steps = steps;
  }
}

/**
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1 with the
 * efficient form of section 2), lazy sparse variant as torch.optim.SparseAdam: per element of
 * a stepped row, with t the GLOBAL step count (every call to step/stepDense increments it):
 * m <- m + (1-b1)(g - m);  v <- v + (1-b2)(g^2 - v);  p <- p - lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps).
 * Choice: moments of rows not listed in a sparse step are neither decayed nor used ("lazy"),
 * but the bias correction uses the global t, exactly as SparseAdam; this differs from dense
 * Adam for rows seen rarely. `stepDense` is the same formula over all rows (= torch.optim.Adam
 * up to where eps enters: here eps is added to sqrt(v), not to sqrt(v / (1-b2^t))).
 * Defaults: betas (0.9, 0.999), eps 1e-8. State: m, v [numRows * width] (float32), step t.
 */
export class SparseAdam implements SparseOptimizer {
  readonly name = 'adam';
  lr: number;
  /** Denominator epsilon. */
  readonly eps: number;
  /** First-moment decay b1. */
  readonly beta1: number;
  /** Second-moment decay b2. */
  readonly beta2: number;
  /** Coupled L2 penalty on stepped rows (SparseAdam itself has none). */
  readonly weightDecay: number;
  private expAvg: Float32Array;
  private expAvgSq: Float32Array;
  private steps = 0;
  private stepSize = 0;

  constructor(readonly numRows: number, readonly width: number, options: OptimizerOptions) {
    checkShape('adam', numRows, width);
    this.lr = options.lr;
    this.eps = options.eps ?? 1e-8;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.lr > 0 && this.eps >= 0 && this.weightDecay >= 0)) {
      throw new Error(`adam: need lr > 0, eps >= 0, weightDecay >= 0, got ${this.lr}, ${this.eps}, ${this.weightDecay}`);
    }
    if (!(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1)) {
      throw new Error(`adam: betas must lie in [0, 1), got ${this.beta1}, ${this.beta2}`);
    }
    this.expAvg = new Float32Array(numRows * width);
    this.expAvgSq = new Float32Array(numRows * width);
  }

  step(table: Float32Array, width: number, rows: Int32Array, count: number, grads: Float32Array): void {
    checkStep(this.name, this.numRows, this.width, table, width, rows, count, grads);
    this.advance();
    adamRows(table, this.expAvg, this.expAvgSq, grads, rows, 0, count, width, this.beta1, this.beta2, this.eps, this.weightDecay, this.stepSize);
  }

  stepDense(table: Float32Array, width: number, grads: Float32Array): void {
    checkDense(this.name, this.numRows, this.width, table, width, grads);
    this.advance();
    adamSpan(table, this.expAvg, this.expAvgSq, grads, 0, 0, table.length, this.beta1, this.beta2, this.eps, this.weightDecay, this.stepSize);
  }

  shareState(): SharedOptimizerState {
    if (!(this.expAvg.buffer instanceof SharedArrayBuffer)) {
      this.expAvg = toShared(this.expAvg);
      this.expAvgSq = toShared(this.expAvgSq);
    }
    return { name: this.name, arrays: [this.expAvg, this.expAvgSq], eps: this.eps, weightDecay: this.weightDecay, beta1: this.beta1, beta2: this.beta2 };
  }

  /** Returns the bias-corrected step size of the step. */
  beginRowStep(): number {
    this.advance();
    return this.stepSize;
  }

  private advance(): void {
    this.steps++;
    const t = this.steps;
    this.stepSize = (this.lr * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
  }

  state(): OptimizerState {
    return { step: this.steps, expAvg: this.expAvg.slice(), expAvgSq: this.expAvgSq.slice() };
  }

  loadState(s: OptimizerState): void {
    const steps = loadCount(this.name, s, 'step');
    loadArray(this.name, s, 'expAvg', this.expAvg);
    loadArray(this.name, s, 'expAvgSq', this.expAvgSq);
    this.steps = steps;
  }
}

/** Adagrad update of rows[i], i in [from, to) (or, rows = null, of the single row 0) from compact grads; see `Adagrad`. */
function adagradRows(
  table: Float32Array, sum: Float32Array, grads: Float32Array, rows: Int32Array | null, from: number, to: number,
  w: number, lr: number, eps: number, wd: number,
): void {
  for (let i = from; i < to; i++) adagradSpan(table, sum, grads, rows === null ? 0 : rows[i] * w, i * w, w, lr, eps, wd);
}

/**
 * The arithmetic of every Adagrad step, over table[pOff, pOff + n) from grads[gOff, gOff + n).
 * One loop per span with the decay branch outside it: a dense step through a per-row loop with
 * the row lookup inside measured ~2x slower.
 */
function adagradSpan(table: Float32Array, sum: Float32Array, grads: Float32Array, pOff: number, gOff: number, n: number, lr: number, eps: number, wd: number): void {
  if (wd === 0) {
    for (let c = 0; c < n; c++) {
      const q = pOff + c;
      const g = grads[gOff + c];
      const G = Math.fround(sum[q] + g * g);
      sum[q] = G;
      table[q] -= (lr * g) / (Math.sqrt(G) + eps);
    }
    return;
  }
  for (let c = 0; c < n; c++) {
    const q = pOff + c;
    const p = table[q];
    const g = grads[gOff + c] + wd * p;
    const G = Math.fround(sum[q] + g * g);
    sum[q] = G;
    table[q] = p - (lr * g) / (Math.sqrt(G) + eps);
  }
}

/** Lazy Adam update of rows[i], i in [from, to) (or, rows = null, of the single row 0) from compact grads; see `SparseAdam`. */
function adamRows(
  table: Float32Array, m: Float32Array, v: Float32Array, grads: Float32Array, rows: Int32Array | null, from: number, to: number,
  w: number, beta1: number, beta2: number, eps: number, wd: number, stepSize: number,
): void {
  for (let i = from; i < to; i++) adamSpan(table, m, v, grads, rows === null ? 0 : rows[i] * w, i * w, w, beta1, beta2, eps, wd, stepSize);
}

/**
 * The arithmetic of every Adam step, over table[pOff, pOff + n) (and m, v there) from
 * grads[gOff, gOff + n); the decay branch outside the loop as in adagradSpan (the dense step of
 * the IMML heads' 58k values: 13.4 ns per value through the per-row loop, 6-7 ns this way).
 */
function adamSpan(
  table: Float32Array, m: Float32Array, v: Float32Array, grads: Float32Array, pOff: number, gOff: number, n: number,
  beta1: number, beta2: number, eps: number, wd: number, stepSize: number,
): void {
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  if (wd === 0) {
    for (let c = 0; c < n; c++) {
      const q = pOff + c;
      const g = grads[gOff + c];
      const mo = m[q];
      const vo = v[q];
      const mn = Math.fround(mo + a1 * (g - mo));
      const vn = Math.fround(vo + a2 * (g * g - vo));
      m[q] = mn;
      v[q] = vn;
      table[q] -= (stepSize * mn) / (Math.sqrt(vn) + eps);
    }
    return;
  }
  for (let c = 0; c < n; c++) {
    const q = pOff + c;
    const p = table[q];
    const g = grads[gOff + c] + wd * p;
    const mo = m[q];
    const vo = v[q];
    const mn = Math.fround(mo + a1 * (g - mo));
    const vn = Math.fround(vo + a2 * (g * g - vo));
    m[q] = mn;
    v[q] = vn;
    table[q] = p - (stepSize * mn) / (Math.sqrt(vn) + eps);
  }
}

/** What every optimiser factory gets: the table's shape and the step options. */
export interface OptimizerContext {
  readonly numRows: number;
  readonly width: number;
  readonly options: OptimizerOptions;
}

/** Registry of the sparse optimisers: 'adagrad' -> `Adagrad`, 'adam' -> `SparseAdam` (lazy). */
export const OPTIMIZERS = {
  adagrad: { options: {}, create: (_o: object, c: OptimizerContext): SparseOptimizer => new Adagrad(c.numRows, c.width, c.options) },
  adam: { options: {}, create: (_o: object, c: OptimizerContext): SparseOptimizer => new SparseAdam(c.numRows, c.width, c.options) },
} as const satisfies Registry<OptimizerContext, SparseOptimizer>;

/** Optimiser names accepted by `createOptimizer`. */
export type OptimizerName = keyof typeof OPTIMIZERS;

/**
 * Builds the optimiser of one table [numRows * width]. Throws, listing the known names, for an
 * unknown name.
 */
export function createOptimizer(name: OptimizerName, numRows: number, width: number, options: OptimizerOptions): SparseOptimizer {
  return lookup(OPTIMIZERS, name, 'optimizer').create({}, { numRows, width, options });
}

/** The optimiser keys of a training config. */
export interface OptimizerConfig {
  /** `adagrad` or `adam` (sparse row updates for embedding tables). */
  optimizer: OptimizerName;
  lr: number;
  /**
   * Learning rate of dense parameters (projections, transport corrections, IMML weights and heads);
   * 0 = `lr`. They are shared by all entities, so one Adagrad step of size lr moves every entity's
   * projected features at once: they usually need a smaller rate than the embedding rows.
   */
  denseLr: number;
}

/** Options, defaults and help of the optimiser keys. */
export const OPTIMIZER_OPTIONS: Schema<OptimizerConfig> = {
  optimizer: { type: 'enum', default: 'adagrad', values: Object.keys(OPTIMIZERS) as OptimizerName[], help: 'optimiser (sparse row updates)' },
  lr: { type: 'number', default: 0.01, above: 0, help: 'learning rate' },
  denseLr: { type: 'number', default: 0, min: 0, help: 'learning rate of dense parameters (projections, IMML); 0 = --lr' },
};

/**
 * Per-batch sparse gradient of one table [numRows * width]: maps the row ids touched in a
 * batch to compact slots 0..count-1, with `grads` [capacity * width] holding slot s's
 * gradient at grads[s*width .. s*width+width) (accumulate into it: duplicates of a row share
 * its slot). Feed `rows, count, grads` to `SparseOptimizer.step`, then `reset()`.
 * The slot-of-row table (Int32Array [numRows], -1 = untouched) is cleared only at the touched
 * entries, so reset is O(touched), not O(numRows). `rows`/`grads` are reallocated (doubled)
 * only when more rows are touched than the capacity; call `reserve(n)` before a batch, or
 * re-read `grads` after `slot()` calls, if a batch may exceed it.
 */
export class SparseGradient {
  private readonly slotOf: Int32Array;
  private rowIds: Int32Array;
  private buf: Float32Array;
  private n = 0;

  /** @param capacity initial slot capacity (default min(numRows, 4096)). */
  constructor(readonly numRows: number, readonly width: number, capacity = Math.min(numRows, 4096)) {
    checkShape('SparseGradient', numRows, width);
    const cap = Math.max(1, Math.min(numRows, Math.floor(capacity)));
    this.slotOf = new Int32Array(numRows).fill(-1);
    this.rowIds = new Int32Array(cap);
    this.buf = new Float32Array(cap * width);
  }

  /** Touched row ids, slot order; valid entries [0, count). */
  get rows(): Int32Array {
    return this.rowIds;
  }

  /** Compact gradients [capacity * width]; slot s at s*width. Valid entries [0, count*width). */
  get grads(): Float32Array {
    return this.buf;
  }

  /** Number of distinct rows touched since the last reset. */
  get count(): number {
    return this.n;
  }

  /** Current slot capacity. */
  get capacity(): number {
    return this.rowIds.length;
  }

  /** Slot of `row`, allocating a zeroed slot on its first touch since the last reset. */
  slot(row: number): number {
    const s = this.slotOf[row];
    if (s >= 0) return s;
    if (!(row >= 0 && row < this.numRows)) throw new Error(`SparseGradient: row id ${row} outside [0, ${this.numRows})`);
    const fresh = this.n;
    if (fresh === this.rowIds.length) this.grow(fresh + 1);
    this.n = fresh + 1;
    this.slotOf[row] = fresh;
    this.rowIds[fresh] = row;
    const w = this.width;
    this.buf.fill(0, fresh * w, fresh * w + w);
    return fresh;
  }

  /** Float offset of `row`'s gradient in `grads` (= slot(row) * width), allocating as `slot`. */
  offset(row: number): number {
    return this.slot(row) * this.width;
  }

  /** Ensures room for `n` slots in total (so that `grads` is not reallocated during a batch). */
  reserve(n: number): void {
    if (n > this.rowIds.length) this.grow(n);
  }

  /** Forgets all touched rows in O(count); buffers are kept for the next batch. */
  reset(): void {
    const rows = this.rowIds;
    for (let i = 0; i < this.n; i++) this.slotOf[rows[i]] = -1;
    this.n = 0;
  }

  private grow(minimum: number): void {
    const cap = Math.min(this.numRows, Math.max(minimum, 2 * this.rowIds.length, 16));
    const rows = new Int32Array(cap);
    rows.set(this.rowIds.subarray(0, this.n));
    const buf = new Float32Array(cap * this.width);
    buf.set(this.buf.subarray(0, this.n * this.width));
    this.rowIds = rows;
    this.buf = buf;
  }
}
