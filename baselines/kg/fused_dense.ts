/**
 * Typed-array helpers of the multimodal models' fused encoders: compact gathers of the rows that
 * have a modality and the dense products, computed by the run's dense engine (src/dense; ORT's
 * MLAS on CPU by default) when the trainer set one, else by tfjs.
 */
import type { ModalityFeatures } from '../../src/modality';
import { tableRows } from '../../src/rows';

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

/** {@link FeatureRows} of modality f for entities ids (fresh arrays). */
export function maskedFeatureRows(f: ModalityFeatures, ids: Int32Array): FeatureRows {
  return new FeatureRowsBuffer(f).gather(ids);
}

/**
 * {@link FeatureRows} of one modality in buffers reused from batch to batch (a fused step gathers
 * every batch's rows anew; fresh arrays cost a garbage collection every few batches). The views
 * `gather` returns are valid until its next call.
 */
export class FeatureRowsBuffer {
  private x = new Float32Array(0);
  private at = new Int32Array(0);
  private mask = new Uint8Array(0);

  constructor(private readonly f: ModalityFeatures) {}

  gather(ids: Int32Array): FeatureRows {
    const { f } = this;
    const U = ids.length;
    const D = f.dim;
    if (this.mask.length < U) {
      this.mask = new Uint8Array(U);
      this.at = new Int32Array(U);
      this.x = new Float32Array(U * D);
    }
    const mask = this.mask.subarray(0, U);
    const at = this.at;
    const x = this.x;
    const data = f.data;
    let p = 0;
    for (let u = 0; u < U; u++) {
      const e = ids[u];
      if (!f.mask[e]) {
        mask[u] = 0;
        continue;
      }
      mask[u] = 1;
      at[p] = u;
      const src = e * D;
      const dst = p * D;
      for (let j = 0; j < D; j++) x[dst + j] = data[src + j];
      p++;
    }
    return { x: x.subarray(0, p * D), at: at.subarray(0, p), mask, P: p };
  }
}

/** A Float32Array of at least n floats kept between calls (grown, never shrunk); not zeroed. */
export class Scratch {
  private buf = new Float32Array(0);

  /** The first n floats (contents left from the last use). */
  take(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(n);
    return this.buf.subarray(0, n);
  }

  /** The first n floats, set to zero. */
  zeros(n: number): Float32Array {
    return this.take(n).fill(0);
  }
}

/** A growable byte buffer reused across batches (per-entity flags). */
export class FlagScratch {
  private buf = new Uint8Array(0);

  /** The first n bytes, set to zero. */
  zeros(n: number): Uint8Array {
    if (this.buf.length < n) this.buf = new Uint8Array(n);
    return this.buf.subarray(0, n).fill(0);
  }
}

/** Rows at of x [U, width] as a [at.length, width] array (into `out` when given). */
export function gatherRows(x: Float32Array, width: number, at: Int32Array, out: Float32Array = new Float32Array(at.length * width)): Float32Array {
  for (let p = 0; p < at.length; p++) {
    const o = at[p] * width;
    const q = p * width;
    for (let c = 0; c < width; c++) out[q + c] = x[o + c];
  }
  return out;
}

/** Whether at = [0, 1, ..., U-1] (every entity of the batch has the modality): rows need no gather. */
export function isIdentity(at: Int32Array, U: number): boolean {
  return at.length === U && (U === 0 || at[U - 1] === U - 1);
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
