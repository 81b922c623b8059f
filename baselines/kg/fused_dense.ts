/**
 * Typed-array helpers of the multimodal models' fused encoders: compact gathers of the rows that
 * have a modality and the dense products, computed by the run's dense engine (src/dense; ORT's
 * MLAS on CPU by default) when the trainer set one, else by tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModalityFeatures } from '../../src/modality';
import { currentTensorEngine } from '../../src/dense/tf_loss';

/**
 * op(a) @ op(b) -> [m, n] as a new Float32Array, op(a) [m, k], op(b) [k, n]; transA: a is stored
 * [k, m], transB: b is stored [n, k]. The engine takes the flags as Gemm attributes; the tfjs
 * fallback transposes explicitly (its transposed products are several times slower on wasm).
 */
export function matMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA = false, transB = false): Float32Array {
  const out = new Float32Array(m * n);
  if (m === 0 || n === 0) return out;
  const engine = currentTensorEngine();
  if (engine) {
    engine.matMul(a, b, m, k, n, out, transA, transB);
    return out;
  }
  const A = transA ? transpose(a, k, m) : a;
  const B = transB ? transpose(b, n, k) : b;
  const c = tf.tidy(() => tf.matMul(tf.tensor2d(A, [m, k]), tf.tensor2d(B, [k, n])));
  out.set(c.dataSync() as Float32Array);
  c.dispose();
  return out;
}

/** The transpose of x [rows, cols] as a new [cols, rows] array. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/**
 * The feature rows of one modality for entities ids, compacted to the P entities that have it:
 * x [P, D], at [P] (their positions in ids, increasing), mask [U]. Rows without the modality are
 * zeros in the model's definition, so products over the P rows give the same values as over all U
 * (most WN9-IMG entities have no image: this skips ~94% of the image products).
 */
export interface FeatureRows {
  readonly x: Float32Array;
  readonly at: Int32Array;
  readonly mask: Uint8Array;
  readonly P: number;
}

/** {@link FeatureRows} of modality f for entities ids. */
export function maskedFeatureRows(f: ModalityFeatures, ids: Int32Array): FeatureRows {
  const U = ids.length;
  const D = f.dim;
  const mask = new Uint8Array(U);
  let P = 0;
  for (let u = 0; u < U; u++) if (f.mask[ids[u]]) P++;
  const x = new Float32Array(P * D);
  const at = new Int32Array(P);
  let p = 0;
  for (let u = 0; u < U; u++) {
    const e = ids[u];
    if (!f.mask[e]) continue;
    mask[u] = 1;
    at[p] = u;
    x.set(f.data.subarray(e * D, e * D + D), p * D);
    p++;
  }
  return { x, at, mask, P };
}

/** Rows at of x [U, width] as a new [at.length, width] array. */
export function gatherRows(x: Float32Array, width: number, at: Int32Array): Float32Array {
  const out = new Float32Array(at.length * width);
  for (let p = 0; p < at.length; p++) out.set(x.subarray(at[p] * width, at[p] * width + width), p * width);
  return out;
}

/** dst[at[p]] += part[p] for rows of width floats. */
export function scatterAddRows(dst: Float32Array, width: number, at: Int32Array, part: Float32Array): void {
  for (let p = 0; p < at.length; p++) {
    const o = at[p] * width;
    const q = p * width;
    for (let c = 0; c < width; c++) dst[o + c] += part[q + c];
  }
}

/**
 * Sets the float32 subnormals of x (|v| < 2^-126) to zero, in place. Self-adversarial weights of
 * far negatives underflow to subnormals, which slow a dense product down several times on x86;
 * what they would contribute is below 1e-38.
 */
export function flushSubnormals(x: Float32Array, rowsToScan?: Uint8Array, width = 1): void {
  // rows whose flag is 0 are known to be all zeros (e.g. entities without any modality)
  const n = rowsToScan ? rowsToScan.length : x.length / width;
  for (let u = 0; u < n; u++) {
    if (rowsToScan && !rowsToScan[u]) continue;
    for (let i = u * width; i < u * width + width; i++) {
      const v = x[i];
      if (v !== 0 && v < 1.1754943508222875e-38 && v > -1.1754943508222875e-38) x[i] = 0;
    }
  }
}
