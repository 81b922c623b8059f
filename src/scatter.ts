import type { SparseGradient } from './optim';

/**
 * The backward of gathering rows: dst[rows[i]] += src[i] for i < count, rows `width` floats
 * wide (a row used several times gets the sum of its gradients). Accumulates in float32 in
 * i order, so a result does not depend on who calls it.
 */
export function scatterAddRows(dst: Float32Array, rows: ArrayLike<number>, src: Float32Array, width: number, count = rows.length): void {
  for (let i = 0; i < count; i++) {
    const o = rows[i] * width;
    const s = i * width;
    for (let k = 0; k < width; k++) dst[o + k] += src[s + k];
  }
}

/** {@link scatterAddRows} into the compact rows of a sparse gradient (a slot per row on first touch). */
export function scatterAddSparse(grad: SparseGradient, rows: ArrayLike<number>, src: Float32Array, count = rows.length): void {
  const width = grad.width;
  for (let i = 0; i < count; i++) {
    const o = grad.slot(rows[i]) * width;
    // slot() may grow the buffer: read it after
    const g = grad.grads;
    const s = i * width;
    for (let k = 0; k < width; k++) g[o + k] += src[s + k];
  }
}
