/**
 * Typed-array helpers of the multimodal models' fused encoders: compact gathers of the rows that
 * have a modality and the dense products, computed by the run's dense engine (src/dense; ORT's
 * MLAS on CPU by default) when the trainer set one, else by tfjs.
 */
import type { ModalityFeatures } from '../../src/modality';
import { scatterAddRows as scatterRows, tableRows } from '../../src/rows';

/** Dense products of the fused encoders: the run's dense engine, else tfjs (see src/dense/products.ts). */
export { denseProduct as matMul, transposeRows as transpose } from '../../src/dense/products';

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
  return tableRows(x, width, at);
}

/** dst[at[p]] += part[p] for rows of width floats. */
export function scatterAddRows(dst: Float32Array, width: number, at: Int32Array, part: Float32Array): void {
  scatterRows(dst, at, part, width);
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
