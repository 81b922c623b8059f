import type { SparseGradient } from './optim';

/**
 * Gathering rows of a row-major table and its backward, on typed arrays: what every training
 * step and fused kernel uses to move batch rows in and row gradients out.
 */

/** Rows `ids` of a row-major table as a new [ids.length, width] array. */
export function tableRows(table: Float32Array, width: number, ids: ArrayLike<number>): Float32Array {
  const out = new Float32Array(ids.length * width);
  for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i] * width, (ids[i] + 1) * width), i * width);
  return out;
}

/** dst[dOff .. dOff + width) += src[sOff .. sOff + width): the one row update every scatter below is made of. */
export function addRow(dst: Float32Array, dOff: number, src: Float32Array, sOff: number, width: number): void {
  for (let k = 0; k < width; k++) dst[dOff + k] += src[sOff + k];
}

/**
 * The backward of gathering rows: dst[rows[i]] += src[i] for i < count, rows `width` floats
 * wide (a row used several times gets the sum of its gradients). Accumulates in float32 in
 * i order, so a result does not depend on who calls it.
 */
export function scatterAddRows(dst: Float32Array, rows: ArrayLike<number>, src: Float32Array, width: number, count = rows.length): void {
  for (let i = 0; i < count; i++) addRow(dst, rows[i] * width, src, i * width, width);
}

/** {@link scatterAddRows} into the compact rows of a sparse gradient (a slot per row on first touch). */
export function scatterAddSparse(grad: SparseGradient, rows: ArrayLike<number>, src: Float32Array, count = rows.length): void {
  const width = grad.width;
  for (let i = 0; i < count; i++) {
    const o = grad.slot(rows[i]) * width;
    // slot() may grow the buffer: read grads after it
    addRow(grad.grads, o, src, i * width, width);
  }
}
