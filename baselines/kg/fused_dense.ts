/**
 * Typed-array helpers of the multimodal models' fused encoders: masked feature gathers and the
 * dense products (tfjs matMul; the transposed operand is passed explicitly because transposeA
 * products are several times slower in tfjs-wasm).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModalityFeatures } from '../../src/modality';

/** a [m, k] x b [k, n] -> [m, n] as a new Float32Array. */
export function matMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
  const out = c.dataSync() as Float32Array;
  c.dispose();
  return out;
}

/** The transpose of x [rows, cols] as a new [cols, rows] array. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/** Feature rows of entities ids with masked-out rows zeroed: x [U, D], its transpose xT [D, U], mask [U]. */
export function maskedFeatureRows(f: ModalityFeatures, ids: Int32Array): { x: Float32Array; xT: Float32Array; mask: Uint8Array } {
  const U = ids.length;
  const D = f.dim;
  const x = new Float32Array(U * D);
  const xT = new Float32Array(U * D);
  const mask = new Uint8Array(U);
  for (let u = 0; u < U; u++) {
    const e = ids[u];
    if (!f.mask[e]) continue;
    mask[u] = 1;
    for (let c = 0; c < D; c++) {
      const v = f.data[e * D + c];
      x[u * D + c] = v;
      xT[c * U + u] = v;
    }
  }
  return { x, xT, mask };
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
