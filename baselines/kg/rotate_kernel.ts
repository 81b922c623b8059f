/**
 * RotatE's fused training kernel (Sun et al. 2019, see rotate.ts) in WebAssembly SIMD, without
 * tfjs, so that training worker threads load it quickly: `rotateWorkerKernel` is the factory of
 * `RotatE.workerKernel`.
 *
 * Per coordinate, with c = cos theta, s = sin theta, p = h o r, u = p - t and m = sqrt(|u|^2 + eps):
 * score = gamma - sum m; with w = -g / m, a = w u_re, b = w u_im:
 * dh_re = a c + b s, dh_im = b c - a s, dt_re = -a, dt_im = -b, dtheta = b p_re - a p_im.
 *
 * Why WebAssembly: this kernel was ~90% of a RotatE training step (64 negatives per positive), and
 * V8 neither vectorises the typed-array loop nor computes in float32. Here four coordinates go
 * through one f32x4 pass, the rest (dim % 4) through the same operations in scalar float32.
 *
 * Precision (an interpretation; PyTorch's RotatE computes in float32 too): every term and gradient
 * in float32, cos/sin of each phase rounded to float32; a score sums its four lanes' float64
 * partial sums as (l0 + l1) + (l2 + l3), then the scalar tail. Each coordinate's gradient gets the
 * same float32 additions in triple order however `backwardSlice` splits the coordinates, so the
 * data-parallel step stays bit-identical to one thread.
 *
 * The kernel computes on its own copy of the tables in its WebAssembly memory: `beginBatch`
 * refreshes it (the entity table, and cos/sin of every phase that changed), `score` and
 * `backwardSlice` read it, gradients accumulate in that memory by the caller's gradient offsets,
 * and `endBackward` adds them into the caller's buffers (see TripleKernel).
 */
import type { TripleKernel, WorkerKernel } from '../../src/scorer';
import { DIST_EPS } from './common';
import { F32, F64, I32, V128, alignUp, f32, f32x4, instantiateAll, op, v, wasmModule, type WasmFunction } from '../../src/wasm_encoder';

type Ops = typeof f32 | typeof f32x4;

/** Locals of one coordinate step (all of the same type: f32 or v128). */
interface StepLocals {
  hr: number; hi: number; c: number; s: number; pr: number; pi: number; ur: number; ui: number; w: number; a: number; b: number;
}

/** The address local x + local y (a row's imaginary half: pointer + 4d). */
const add = (x: number, y: number) => [...op.get(x), ...op.get(y), ...op.i32Add];

/** score(h, c, s, t, d) -> f64: sum_k m_k over the d coordinates (the caller subtracts it from gamma). */
function scoreFunction(): Omit<WasmFunction, 'name'> {
  const [H, C, S, T, D] = [0, 1, 2, 3, 4];
  const [K, KV, D4, HP, CP, SP, TP] = [5, 6, 7, 8, 9, 10, 11];
  const [UR, UI, M, A01, A23] = [12, 13, 14, 15, 16];
  const [ur, ui, m] = [17, 18, 19];
  const TAIL = 20;
  // m = sqrt((hr c - hi s - tr)^2 + (hr s + hi c - ti)^2 + eps) into local `mo`
  const term = (o: Ops, urL: number, uiL: number, mo: number) => [
    ...op.get(HP), ...o.load(0), ...op.get(CP), ...o.load(0), ...o.mul, ...add(HP, D4), ...o.load(0), ...op.get(SP), ...o.load(0), ...o.mul, ...o.sub,
    ...op.get(TP), ...o.load(0), ...o.sub, ...op.set(urL),
    ...op.get(HP), ...o.load(0), ...op.get(SP), ...o.load(0), ...o.mul, ...add(HP, D4), ...o.load(0), ...op.get(CP), ...o.load(0), ...o.mul, ...o.add,
    ...add(TP, D4), ...o.load(0), ...o.sub, ...op.set(uiL),
    ...op.get(urL), ...op.get(urL), ...o.mul, ...op.get(uiL), ...op.get(uiL), ...o.mul, ...o.add, ...o.splat(DIST_EPS), ...o.add, ...o.sqrt, ...op.set(mo),
  ];
  const advance = (bytes: number, lanes: number) => [
    ...[HP, CP, SP, TP].flatMap((p) => [...op.get(p), ...op.i32(bytes), ...op.i32Add, ...op.set(p)]),
    ...op.get(K), ...op.i32(lanes), ...op.i32Add, ...op.set(K),
  ];
  const body = [
    ...op.get(D), ...op.i32(4), ...op.i32Mul, ...op.set(D4),
    ...op.get(D), ...op.i32(-4), ...op.i32And, ...op.set(KV),
    ...op.get(H), ...op.set(HP), ...op.get(C), ...op.set(CP), ...op.get(S), ...op.set(SP), ...op.get(T), ...op.set(TP),
    ...v.zero, ...op.set(A01), ...v.zero, ...op.set(A23),
    ...op.block, ...op.loop, // four coordinates at a time
    ...op.get(K), ...op.get(KV), ...op.i32GeU, ...op.brIf(1),
    ...term(f32x4, UR, UI, M),
    ...op.get(A01), ...op.get(M), ...v.f64x2PromoteLow, ...v.f64x2Add, ...op.set(A01),
    ...op.get(A23), ...op.get(M), ...op.get(M), ...v.highToLow, ...v.f64x2PromoteLow, ...v.f64x2Add, ...op.set(A23),
    ...advance(16, 4),
    ...op.br(0), ...op.end, ...op.end,
    ...op.f64Const(0), ...op.set(TAIL),
    ...op.block, ...op.loop, // the d % 4 left
    ...op.get(K), ...op.get(D), ...op.i32GeU, ...op.brIf(1),
    ...term(f32, ur, ui, m),
    ...op.get(TAIL), ...op.get(m), ...op.f64PromoteF32, ...op.f64Add, ...op.set(TAIL),
    ...advance(4, 1),
    ...op.br(0), ...op.end, ...op.end,
    ...op.get(A01), ...v.f64x2Lane(0), ...op.get(A01), ...v.f64x2Lane(1), ...op.f64Add,
    ...op.get(A23), ...v.f64x2Lane(0), ...op.get(A23), ...v.f64x2Lane(1), ...op.f64Add, ...op.f64Add,
    ...op.get(TAIL), ...op.f64Add,
  ];
  return { params: [I32, I32, I32, I32, I32], results: [F64], locals: [[7, I32], [5, V128], [3, F32], [1, F64]], body };
}

/**
 * backward(h, c, s, t, gh, gt, gr, d, k0, k1, -g): adds -g-weighted gradients of coordinates
 * [k0, k1) into the entity rows at gh (head) and gt (tail) and the relation row at gr.
 */
function backwardFunction(): Omit<WasmFunction, 'name'> {
  const [H, C, S, T, GH, GT, GR, D, K0, K1, NG] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [K, KV, D4, HP, CP, SP, TP, GHP, GTP, GRP] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const vec: StepLocals = { hr: 21, hi: 22, c: 23, s: 24, pr: 25, pi: 26, ur: 27, ui: 28, w: 29, a: 30, b: 31 };
  const G4 = 32;
  const sca: StepLocals = { hr: 33, hi: 34, c: 35, s: 36, pr: 37, pi: 38, ur: 39, ui: 40, w: 41, a: 42, b: 43 };
  const g = op.get;
  const step = (o: Ops, L: StepLocals, G: number) => [
    ...g(HP), ...o.load(0), ...op.set(L.hr), ...add(HP, D4), ...o.load(0), ...op.set(L.hi),
    ...g(CP), ...o.load(0), ...op.set(L.c), ...g(SP), ...o.load(0), ...op.set(L.s),
    ...g(L.hr), ...g(L.c), ...o.mul, ...g(L.hi), ...g(L.s), ...o.mul, ...o.sub, ...op.set(L.pr),
    ...g(L.hr), ...g(L.s), ...o.mul, ...g(L.hi), ...g(L.c), ...o.mul, ...o.add, ...op.set(L.pi),
    ...g(L.pr), ...g(TP), ...o.load(0), ...o.sub, ...op.set(L.ur),
    ...g(L.pi), ...add(TP, D4), ...o.load(0), ...o.sub, ...op.set(L.ui),
    ...g(G), ...g(L.ur), ...g(L.ur), ...o.mul, ...g(L.ui), ...g(L.ui), ...o.mul, ...o.add, ...o.splat(DIST_EPS), ...o.add, ...o.sqrt, ...o.div, ...op.set(L.w),
    ...g(L.w), ...g(L.ur), ...o.mul, ...op.set(L.a),
    ...g(L.w), ...g(L.ui), ...o.mul, ...op.set(L.b),
    // head, then tail (h and t may share a slot: each store lands before the next load)
    ...g(GHP), ...g(GHP), ...o.load(0), ...g(L.a), ...g(L.c), ...o.mul, ...g(L.b), ...g(L.s), ...o.mul, ...o.add, ...o.add, ...o.store(0),
    ...add(GHP, D4), ...add(GHP, D4), ...o.load(0), ...g(L.b), ...g(L.c), ...o.mul, ...g(L.a), ...g(L.s), ...o.mul, ...o.sub, ...o.add, ...o.store(0),
    ...g(GTP), ...g(GTP), ...o.load(0), ...g(L.a), ...o.sub, ...o.store(0),
    ...add(GTP, D4), ...add(GTP, D4), ...o.load(0), ...g(L.b), ...o.sub, ...o.store(0),
    ...g(GRP), ...g(GRP), ...o.load(0), ...g(L.b), ...g(L.pr), ...o.mul, ...g(L.a), ...g(L.pi), ...o.mul, ...o.sub, ...o.add, ...o.store(0),
  ];
  const advance = (bytes: number, lanes: number) => [
    ...[HP, CP, SP, TP, GHP, GTP, GRP].flatMap((p) => [...g(p), ...op.i32(bytes), ...op.i32Add, ...op.set(p)]),
    ...g(K), ...op.i32(lanes), ...op.i32Add, ...op.set(K),
  ];
  const start = (p: number, base: number) => [...g(base), ...g(K0), ...op.i32(4), ...op.i32Mul, ...op.i32Add, ...op.set(p)];
  const body = [
    ...g(D), ...op.i32(4), ...op.i32Mul, ...op.set(D4),
    ...start(HP, H), ...start(CP, C), ...start(SP, S), ...start(TP, T), ...start(GHP, GH), ...start(GTP, GT), ...start(GRP, GR),
    ...g(K0), ...op.set(K),
    ...g(K0), ...g(K1), ...g(K0), ...op.i32Sub, ...op.i32(-4), ...op.i32And, ...op.i32Add, ...op.set(KV),
    ...g(NG), ...v.f32x4Splat, ...op.set(G4),
    ...op.block, ...op.loop, // four coordinates at a time
    ...g(K), ...g(KV), ...op.i32GeU, ...op.brIf(1),
    ...step(f32x4, vec, G4),
    ...advance(16, 4),
    ...op.br(0), ...op.end, ...op.end,
    ...op.block, ...op.loop, // the rest, one at a time
    ...g(K), ...g(K1), ...op.i32GeU, ...op.brIf(1),
    ...step(f32, sca, NG),
    ...advance(4, 1),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return { params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32], results: [], locals: [[10, I32], [12, V128], [11, F32]], body };
}

/** The module's bytes for a memory of `pages` pages (exported for the validation test). */
export function rotateKernelModule(pages = 1): Uint8Array {
  return wasmModule(pages, [{ name: 'score', ...scoreFunction() }, { name: 'backward', ...backwardFunction() }]);
}

/** The kernel's memory: a copy of the tables, cos/sin of the phases, gradient accumulators. */
interface KernelMemory {
  /** Floats of the entity and relation tables this memory was laid out for. */
  entityFloats: number;
  relationFloats: number;
  E: Float32Array;
  cos: Float32Array;
  sin: Float32Array;
  gE: Float32Array;
  gR: Float32Array;
  /** Byte addresses. */
  cPtr: number;
  sPtr: number;
  gePtr: number;
  grPtr: number;
  score: (h: number, c: number, s: number, t: number, d: number) => number;
  backward: (h: number, c: number, s: number, t: number, gh: number, gt: number, gr: number, d: number, k0: number, k1: number, negG: number) => void;
}

function layOut(entityFloats: number, relationFloats: number): KernelMemory {
  const gePtr = alignUp(entityFloats * 4, 16);
  const cPtr = alignUp(gePtr + entityFloats * 4, 16);
  const sPtr = alignUp(cPtr + relationFloats * 4, 16);
  const grPtr = alignUp(sPtr + relationFloats * 4, 16);
  const { buffer, exports } = instantiateAll(grPtr + relationFloats * 4, rotateKernelModule);
  return {
    entityFloats, relationFloats,
    E: new Float32Array(buffer, 0, entityFloats),
    gE: new Float32Array(buffer, gePtr, entityFloats),
    cos: new Float32Array(buffer, cPtr, relationFloats),
    sin: new Float32Array(buffer, sPtr, relationFloats),
    gR: new Float32Array(buffer, grPtr, relationFloats),
    cPtr, sPtr, gePtr, grPtr,
    score: exports.score as KernelMemory['score'],
    backward: exports.backward as KernelMemory['backward'],
  };
}

/** RotatE kernel over `coordinates` complex coordinates (entity rows [re | im], relation rows of phases). */
export class RotatEKernel implements TripleKernel {
  private mem?: KernelMemory;
  /** Phases whose cos/sin the memory holds (NaN never equals a phase: forces the first compute). */
  private phases = new Float32Array(0);

  constructor(readonly coordinates: number, private readonly gamma: number) {}

  beginBatch(E: Float32Array, R: Float32Array): void {
    let mem = this.mem;
    if (!mem || mem.entityFloats !== E.length || mem.relationFloats !== R.length) {
      mem = this.mem = layOut(E.length, R.length);
      this.phases = new Float32Array(R.length).fill(NaN);
    }
    mem.E.set(E);
    const phases = this.phases, cos = mem.cos, sin = mem.sin;
    for (let j = 0; j < R.length; j++) {
      const th = R[j];
      if (th !== phases[j]) {
        phases[j] = th;
        cos[j] = Math.cos(th);
        sin[j] = Math.sin(th);
      }
    }
  }

  score(_E: Float32Array, hOff: number, _R: Float32Array, rOff: number, tOff: number): number {
    const mem = this.ready();
    return this.gamma - mem.score(4 * hOff, mem.cPtr + 4 * rOff, mem.sPtr + 4 * rOff, 4 * tOff, this.coordinates);
  }

  backward(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void {
    this.backwardSlice(E, hOff, R, rOff, tOff, g, gE, gHOff, gTOff, gR, gROff, 0, this.coordinates);
  }

  backwardSlice(
    _E: Float32Array, hOff: number, _R: Float32Array, rOff: number, tOff: number, g: number,
    _gE: Float32Array, gHOff: number, gTOff: number, _gR: Float32Array, gROff: number, k0: number, k1: number,
  ): void {
    const mem = this.ready();
    mem.backward(
      4 * hOff, mem.cPtr + 4 * rOff, mem.sPtr + 4 * rOff, 4 * tOff,
      mem.gePtr + 4 * gHOff, mem.gePtr + 4 * gTOff, mem.grPtr + 4 * gROff, this.coordinates, k0, k1, -g,
    );
  }

  endBackward(gE: Float32Array, entitySlots: number, gR: Float32Array, relationSlots: number, k0: number, k1: number): void {
    const mem = this.ready();
    const d = this.coordinates;
    const W = 2 * d;
    const mE = mem.gE, mR = mem.gR;
    for (let slot = 0; slot < entitySlots; slot++) {
      for (let i = slot * W + k0, end = slot * W + k1; i < end; i++) {
        gE[i] += mE[i];
        mE[i] = 0;
        gE[i + d] += mE[i + d];
        mE[i + d] = 0;
      }
    }
    for (let slot = 0; slot < relationSlots; slot++) {
      for (let i = slot * d + k0, end = slot * d + k1; i < end; i++) {
        gR[i] += mR[i];
        mR[i] = 0;
      }
    }
  }

  private ready(): KernelMemory {
    if (!this.mem) throw new Error('RotatE kernel: beginBatch(E, R) must come before score and backward');
    return this.mem;
  }
}

/** Factory of `RotatE.workerKernel`: args dim (complex coordinates), gamma. No constraint. */
export function rotateWorkerKernel(args: { dim: number; gamma: number }): WorkerKernel {
  return { kernel: new RotatEKernel(args.dim, args.gamma) };
}
