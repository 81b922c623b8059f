/**
 * What the SIMD ranking kernels (simd_l1.ts, simd_complex_l1.ts) share: the entity table copied
 * into the kernel's own WebAssembly memory (one instance per thread), a query buffer that holds
 * one pass's queries interleaved lane by lane, and the score rows.
 *
 * Memory: [entity table, n * W float32][queries, lanes * W][score rows, alignUp(maxQueries, lanes) * n float64].
 * The module exports group(ePtr, n, width, qPtr, outPtr, rowBytes), which scores the `lanes`
 * interleaved queries at qPtr against all n entities into rows outPtr + lane * rowBytes.
 */
import { alignUp, instantiate } from '../src/wasm_encoder';

type Group = (e: number, n: number, width: number, q: number, out: number, row: number) => void;

/** The module and query layout of one SIMD ranking kernel. */
export interface SimdKernelSpec {
  /** The rank form, for error messages. */
  form: string;
  /** Queries per pass. */
  lanes: number;
  /** Element type of the interleaved queries. */
  queryArray: Float32ArrayConstructor | Float64ArrayConstructor;
  module: (pages: number) => Uint8Array;
  /** `width` argument of `group` for entity width W (W, or W / 2 complex coordinates). */
  groupWidth: (W: number) => number;
  /** Writes query row Q[qo .. qo + W) into lane `lane` of `queries`. */
  interleave: (queries: Float32Array | Float64Array, Q: Float32Array, qo: number, W: number, lane: number) => void;
}

export class SimdBlockScorer {
  readonly scores: Float64Array;
  private readonly group: Group;
  private readonly queries: Float32Array | Float64Array;
  private readonly qPtr: number;
  private readonly outPtr: number;

  constructor(private readonly spec: SimdKernelSpec, E: Float32Array, readonly n: number, private readonly W: number, private readonly maxQueries: number) {
    if (E.length < n * W) throw new Error(`${spec.form}: entity table holds ${E.length} floats, expected ${n} x ${W}`);
    if (!(maxQueries >= 1)) throw new Error(`${spec.form}: maxQueries must be >= 1, got ${maxQueries}`);
    const { lanes, queryArray } = spec;
    this.qPtr = alignUp(n * W * 4, 16);
    this.outPtr = alignUp(this.qPtr + lanes * W * queryArray.BYTES_PER_ELEMENT, 16);
    const { buffer, fn } = instantiate<Group>(this.outPtr + alignUp(maxQueries, lanes) * n * 8, spec.module, 'group');
    this.group = fn;
    new Float32Array(buffer, 0, n * W).set(E.subarray(0, n * W));
    this.queries = new queryArray(buffer, this.qPtr, lanes * W);
    this.scores = new Float64Array(buffer, this.outPtr, maxQueries * n);
  }

  /** Score rows of queries [q0, q0 + m) of Q ([*, W] row-major) into `scores[i*n .. i*n + n)`. */
  score(Q: Float32Array, q0: number, m: number): void {
    const { spec, n, W, queries } = this;
    if (!(m >= 1 && m <= this.maxQueries)) throw new Error(`${spec.form}: block of ${m} queries, expected 1..${this.maxQueries}`);
    for (let g = 0; g < m; g += spec.lanes) {
      // Lanes past m repeat the last query: their rows are scratch beyond the m rows the caller reads.
      for (let lane = 0; lane < spec.lanes; lane++) spec.interleave(queries, Q, (q0 + Math.min(g + lane, m - 1)) * W, W, lane);
      this.group(0, n, spec.groupWidth(W), this.qPtr, this.outPtr + g * n * 8, n * 8);
    }
  }
}
