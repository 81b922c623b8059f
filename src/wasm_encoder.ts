/**
 * A minimal WebAssembly encoder for the SIMD kernels (eval/simd_complex_l1.ts, eval/simd_l1.ts,
 * baselines/kg/rotate_kernel.ts): the handful of instructions they use, and a module of exported
 * functions over one imported memory. Kernels are written as instruction arrays here instead of
 * shipping a toolchain or an opaque binary; `WebAssembly.validate` and the kernels' tests check
 * the bytes.
 */

/** The slice of the WebAssembly JS API used here (lib ES2022 has no WebAssembly types). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const PAGE_BYTES = 65536;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
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

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

function f32Bytes(x: number): number[] {
  return Array.from(new Uint8Array(Float32Array.of(x).buffer));
}

function f64Bytes(x: number): number[] {
  return Array.from(new Uint8Array(Float64Array.of(x).buffer));
}

/** Scalar and control instructions. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32GeU: [0x4f],
  f64Neg: [0x9a],
  f64Add: [0xa0],
  f64Const: (x: number) => [0x44, ...f64Bytes(x)],
  f64PromoteF32: [0xbb],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
} as const;

/** Scalar float32 instructions, named as their f32x4 counterparts in `v` for kernels written once for both. */
export const f32 = {
  load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  store: (offset: number) => [0x38, 2, ...uleb(offset)],
  splat: (x: number) => [0x43, ...f32Bytes(x)],
  sqrt: [0x91],
  add: [0x92],
  sub: [0x93],
  mul: [0x94],
  div: [0x95],
} as const;

const simd = (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm];

/** SIMD instructions (v128.* with its natural alignment; lane indices as immediates). */
export const v = {
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
  f64x2Abs: simd(0xec),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  store: (offset: number) => simd(0x0b, 4, ...uleb(offset)),
  f32x4Const: (x: number) => simd(0x0c, ...[0, 1, 2, 3].flatMap(() => f32Bytes(x))),
  /** f32x4.splat of the f32 on the stack. */
  f32x4Splat: simd(0x13),
  f32x4Div: simd(0xe7),
};

/** The f32x4 instructions under the names of `f32`. */
export const f32x4 = {
  load: v.load,
  store: v.store,
  splat: v.f32x4Const,
  sqrt: v.f32x4Sqrt,
  add: v.f32x4Add,
  sub: v.f32x4Sub,
  mul: v.f32x4Mul,
  div: v.f32x4Div,
} as const;

/** One exported function: parameter and result types, locals as [count, type] runs, its instructions (without the final `end`). */
export interface WasmFunction {
  name: string;
  params: number[];
  results: number[];
  locals: Array<[number, number]>;
  body: number[];
}

/** A module importing "env"."mem" (at least `pages` pages) and exporting `functions`. */
export function wasmModule(pages: number, functions: WasmFunction[]): Uint8Array {
  const types = functions.flatMap((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results]);
  const exportEntries = functions.flatMap((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const codes = functions.flatMap((f) => {
    const fn = [...uleb(f.locals.length), ...f.locals.flatMap(([count, type]) => [...uleb(count), type]), ...f.body, ...op.end];
    return [...uleb(fn.length), ...fn];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(functions.length), ...types]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(pages)]),
    ...section(3, [...uleb(functions.length), ...functions.map((_, i) => i)]),
    ...section(7, [...uleb(functions.length), ...exportEntries]),
    ...section(10, [...uleb(functions.length), ...codes]),
  ]);
}

/** A module of one function of `params` i32 parameters and no result, with `i32Locals` i32 then `v128Locals` v128 locals. */
export function kernelModule(pages: number, exportName: string, params: number, i32Locals: number, v128Locals: number, body: number[]): Uint8Array {
  return wasmModule(pages, [{ name: exportName, params: new Array<number>(params).fill(I32), results: [], locals: [[i32Locals, I32], [v128Locals, V128]], body }]);
}

/** `WebAssembly.validate` (for the tests). */
export function validModule(bytes: Uint8Array): boolean {
  return wasm.validate(bytes);
}

/** A fresh memory of `bytes` (rounded up to pages) and the module's export `exportName` bound to it. */
export function instantiate<F>(bytes: number, module: (pages: number) => Uint8Array, exportName: string): { buffer: ArrayBuffer; fn: F } {
  const { buffer, exports: fns } = instantiateAll(bytes, module);
  return { buffer, fn: fns[exportName] as F };
}

/** A fresh memory of `bytes` (rounded up to pages) and all the module's exports bound to it. */
export function instantiateAll(bytes: number, module: (pages: number) => Uint8Array): { buffer: ArrayBuffer; exports: Record<string, unknown> } {
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  const memory = new wasm.Memory({ initial: pages });
  const instance = new wasm.Instance(new wasm.Module(module(pages)), { env: { mem: memory } });
  return { buffer: memory.buffer, exports: instance.exports };
}

export function alignUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** f64.store(out + lane * row, -acc[half]): lane `lane` of a score block from f64x2 local `acc`. */
export function storeNegatedLane(out: number, row: number, lane: number, acc: number, half: number): number[] {
  const address = lane === 0 ? op.get(out) : [...op.get(out), ...op.get(row), ...op.i32(lane), ...op.i32Mul, ...op.i32Add];
  return [...address, ...op.get(acc), ...v.f64x2Lane(half), ...op.f64Neg, ...op.f64Store(0)];
}
