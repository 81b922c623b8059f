/**
 * RotatE's ranking kernel (`complex-l1`) in WebAssembly SIMD: scores of query vectors against
 * every entity row, score(q, e) = -sum_{k<d} |q_k - e_k| with q_k, e_k complex ([re | im] rows,
 * d = W / 2), the distance of Sun et al., "RotatE: Knowledge Graph Embedding by Relational
 * Rotation in Complex Space" (ICLR 2019), Eq. 3, with q = h ∘ r (tail queries) or conj(r) ∘ t.
 *
 * Why: the kernel is bound by one square root per coordinate. V8 neither vectorises nor has a
 * float32 sqrt, so the typed-array loop took ~400 s for FB-IMG's test set on 2 cores; here
 * four queries share one f32x4 pass over the table (one `f32x4.sqrt` for four coordinates).
 *
 * Precision (an interpretation: the paper does not say): each term sqrt(x² + y²) is computed
 * in float32 from the float32 embeddings, as PyTorch computes RotatE's scores, and the terms
 * are summed in float64, in coordinate order. Every lane performs the same operations, so a
 * query's scores do not depend on its lane, its block or the worker that scores it, and equal
 * embeddings give exactly tied scores. Terms overflow to +Infinity only for coordinates
 * differing by more than ~1.8e19.
 *
 * The module is written directly as bytes (a few dozen instructions; no toolchain in the build).
 */

/** The slice of the WebAssembly JS API used here (lib ES2022 has no WebAssembly types). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Queries scored by one pass over the entity table (the f32x4 lanes). */
const LANES = 4;
const PAGE_BYTES = 65536;

// ---- a minimal module encoder ----

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32GeU: [0x4f],
  f64Neg: [0x9a],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
} as const;
const simd = (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm];
const v = {
  load: (offset: number) => simd(0x00, 4, ...uleb(offset)),
  load32Splat: (offset: number) => simd(0x09, 2, ...uleb(offset)),
  zero: simd(0x0c, ...new Array<number>(16).fill(0)),
  /** Lanes 2, 3 of a f32x4 moved to lanes 0, 1 (for promote_low). */
  highToLow: simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7),
  f64x2Lane: (lane: number) => simd(0x21, lane),
  f64x2PromoteLow: simd(0x5f),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f64x2Add: simd(0xf0),
};

/**
 * The module: imports "env"."mem" and exports
 * group(ePtr, n, d, qPtr, outPtr, rowBytes): for every entity j < n (row at ePtr + j*8d bytes),
 * the four interleaved queries at qPtr (re part [k*4 + lane], then im part) give
 * out[lane][j] = f64 at outPtr + lane*rowBytes + 8j.
 */
function moduleBytes(pages: number): Uint8Array {
  // Parameters 0-5, then locals.
  const [E, N, D, Q, OUT, ROW] = [0, 1, 2, 3, 4, 5];
  const [J, EP, QP, K, IM, QIM, X, Y, S, A01, A23] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const body = [
    ...[2, ...uleb(6), I32, ...uleb(5), V128], // locals: 6 x i32 (J..QIM), 5 x v128 (X..A23)
    // IM = 4d (byte offset of a row's imaginary half), QIM = 16d (of the queries' im part)
    ...op.get(D), ...op.i32(4), ...op.i32Mul, ...op.set(IM),
    ...op.get(D), ...op.i32(16), ...op.i32Mul, ...op.set(QIM),
    ...op.i32(0), ...op.set(J),
    ...op.get(E), ...op.set(EP),
    ...op.block, ...op.loop, // for j
    ...op.get(J), ...op.get(N), ...op.i32GeU, ...op.brIf(1),
    ...v.zero, ...op.set(A01), ...v.zero, ...op.set(A23),
    ...op.get(Q), ...op.set(QP),
    ...op.i32(0), ...op.set(K),
    ...op.block, ...op.loop, // for k
    ...op.get(K), ...op.get(D), ...op.i32GeU, ...op.brIf(1),
    // X = q_re - splat(e_re), Y = q_im - splat(e_im)
    ...op.get(QP), ...v.load(0), ...op.get(EP), ...v.load32Splat(0), ...v.f32x4Sub, ...op.set(X),
    ...op.get(QP), ...op.get(QIM), ...op.i32Add, ...v.load(0),
    ...op.get(EP), ...op.get(IM), ...op.i32Add, ...v.load32Splat(0), ...v.f32x4Sub, ...op.set(Y),
    // S = sqrt(X² + Y²), in float32
    ...op.get(X), ...op.get(X), ...v.f32x4Mul, ...op.get(Y), ...op.get(Y), ...v.f32x4Mul, ...v.f32x4Add, ...v.f32x4Sqrt, ...op.set(S),
    // float64 sums: lanes 0, 1 in A01, lanes 2, 3 in A23
    ...op.get(A01), ...op.get(S), ...v.f64x2PromoteLow, ...v.f64x2Add, ...op.set(A01),
    ...op.get(A23), ...op.get(S), ...op.get(S), ...v.highToLow, ...v.f64x2PromoteLow, ...v.f64x2Add, ...op.set(A23),
    ...op.get(QP), ...op.i32(16), ...op.i32Add, ...op.set(QP),
    ...op.get(EP), ...op.i32(4), ...op.i32Add, ...op.set(EP),
    ...op.get(K), ...op.i32(1), ...op.i32Add, ...op.set(K),
    ...op.br(0), ...op.end, ...op.end,
    // out[lane][j] = -sum; OUT walks along the rows by 8 bytes per entity
    ...storeLane(OUT, ROW, 0, A01, 0),
    ...storeLane(OUT, ROW, 1, A01, 1),
    ...storeLane(OUT, ROW, 2, A23, 0),
    ...storeLane(OUT, ROW, 3, A23, 1),
    ...op.get(OUT), ...op.i32(8), ...op.i32Add, ...op.set(OUT),
    // EP has moved past the real half (4d bytes); skip the imaginary half to the next row
    ...op.get(EP), ...op.get(IM), ...op.i32Add, ...op.set(EP),
    ...op.get(J), ...op.i32(1), ...op.i32Add, ...op.set(J),
    ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  const code = [1, ...uleb(body.length), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(pages)]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('group'), 0x00, 0]),
    ...section(10, code),
  ]);
}

/** f64.store(out + lane*row, -acc[half]) */
function storeLane(out: number, row: number, lane: number, acc: number, half: number): number[] {
  const address = lane === 0 ? op.get(out) : [...op.get(out), ...op.get(row), ...op.i32(lane), ...op.i32Mul, ...op.i32Add];
  return [...address, ...op.get(acc), ...v.f64x2Lane(half), ...op.f64Neg, ...op.f64Store(0)];
}

/** The module's bytes for a memory of `pages` pages (exported for the validation test). */
export function simdComplexL1Module(pages = 1): Uint8Array {
  return moduleBytes(pages);
}

/**
 * The complex-l1 kernel over one entity table, copied into its own WebAssembly memory (one
 * instance per thread). `score(Q, q0, m)` writes the score rows of queries [q0, q0 + m) of Q
 * to `scores[i*n .. i*n + n)`, i < m <= maxQueries.
 */
export class SimdComplexL1 {
  readonly scores: Float64Array;
  private readonly group: (e: number, n: number, d: number, q: number, out: number, row: number) => void;
  private readonly queries: Float32Array;
  private readonly qPtr: number;
  private readonly outPtr: number;
  private readonly d: number;

  constructor(E: Float32Array, readonly n: number, private readonly W: number, private readonly maxQueries: number) {
    if (W % 2 !== 0 || W === 0) throw new Error(`complex-l1 needs an even, non-zero entity width ([re | im]), got ${W}`);
    if (E.length < n * W) throw new Error(`complex-l1: entity table holds ${E.length} floats, expected ${n} x ${W}`);
    if (!(maxQueries >= 1)) throw new Error(`complex-l1: maxQueries must be >= 1, got ${maxQueries}`);
    this.d = W / 2;
    const tableBytes = n * W * 4;
    this.qPtr = align(tableBytes, 16);
    this.outPtr = align(this.qPtr + LANES * W * 4, 16);
    const rows = align(maxQueries, LANES);
    const pages = Math.ceil((this.outPtr + rows * n * 8) / PAGE_BYTES) || 1;
    const memory = new wasm.Memory({ initial: pages });
    const instance = new wasm.Instance(new wasm.Module(moduleBytes(pages)), { env: { mem: memory } });
    this.group = instance.exports.group as SimdComplexL1['group'];
    new Float32Array(memory.buffer, 0, n * W).set(E.subarray(0, n * W));
    this.queries = new Float32Array(memory.buffer, this.qPtr, LANES * W);
    this.scores = new Float64Array(memory.buffer, this.outPtr, maxQueries * n);
  }

  /** Score rows of queries [q0, q0 + m) of Q ([*, W] row-major) into `scores`. */
  score(Q: Float32Array, q0: number, m: number): void {
    if (!(m >= 1 && m <= this.maxQueries)) throw new Error(`complex-l1: block of ${m} queries, expected 1..${this.maxQueries}`);
    const { n, W, d, queries } = this;
    for (let g = 0; g < m; g += LANES) {
      // Interleave four queries lane by lane; lanes past m repeat the last query (their rows are
      // scratch beyond the m rows the caller reads).
      for (let lane = 0; lane < LANES; lane++) {
        const qo = (q0 + Math.min(g + lane, m - 1)) * W;
        for (let k = 0; k < d; k++) {
          queries[k * LANES + lane] = Q[qo + k];
          queries[(d + k) * LANES + lane] = Q[qo + d + k];
        }
      }
      this.group(0, n, d, this.qPtr, this.outPtr + g * n * 8, n * 8);
    }
  }
}

function align(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
