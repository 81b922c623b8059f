import * as tf from '@tensorflow/tfjs';
import { currentTensorEngine } from './tf_loss';

/** The transpose of x [rows, cols] as a new [cols, rows] array. */
export function transposeRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/**
 * op(a) @ op(b) -> [m, n] for typed-array kernels, op(a) [m, k], op(b) [k, n]; transA: a is
 * stored [k, m], transB: b is stored [n, k]. Written into the first m * n floats of `into` when
 * given (a buffer reused between batches), else into a new array; returns those m * n floats.
 * Computed by the run's dense engine (setTensorEngine; ORT's MLAS on CPU by default) with the
 * flags as Gemm attributes, else by tfjs with explicit transposes (its transposed products are
 * several times slower on wasm). k = 0 (an empty sum) gives zeros.
 */
export function denseProduct(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA = false, transB = false, into?: Float32Array): Float32Array {
  if (into && into.length < m * n) throw new Error(`denseProduct: output buffer holds ${into.length} floats, need ${m} x ${n}`);
  const out = into ? into.subarray(0, m * n) : new Float32Array(m * n);
  if (m === 0 || n === 0) return out;
  if (k === 0) return out.fill(0);
  const engine = currentTensorEngine();
  if (engine) {
    engine.matMul(a, b, m, k, n, out, transA, transB);
    return out;
  }
  const A = transA ? transposeRows(a, k, m) : a.subarray(0, m * k);
  const B = transB ? transposeRows(b, n, k) : b.subarray(0, k * n);
  const c = tf.tidy(() => tf.matMul(tf.tensor2d(A, [m, k]), tf.tensor2d(B, [k, n])));
  out.set(c.dataSync() as Float32Array);
  c.dispose();
  return out;
}
