/**
 * TransE's fused kernels (Bordes et al. 2013, see transe.ts) without tfjs, so that training worker
 * threads load them quickly: `transeWorkerKernel` is the factory of `TransE.workerKernel`.
 */
import type { TripleKernel, WorkerKernel } from '../../src/scorer';
import { DIST_EPS, normalizeRowsL2, SlicedTripleKernel } from './common';

/** TransE L1 kernel: score = -sum_k |h_k + r_k - t_k|; d score/d h_k = -sign(d_k), d/d t_k = +sign(d_k). */
export class TransEL1Kernel extends SlicedTripleKernel {

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const n = this.coordinates;
    let s = 0;
    for (let k = 0; k < n; k++) s += Math.abs(E[hOff + k] + R[rOff + k] - E[tOff + k]);
    return -s;
  }


  backwardSlice(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number,
  ): void {
    const ng = -g;
    for (let k = k0; k < k1; k++) {
      const d = E[hOff + k] + R[rOff + k] - E[tOff + k];
      // d score / d d_k = -sign(d_k), sign(0) = 0; branch-free (signs of random rows mispredict: ~2x slower)
      const gd = ng * (+(d > 0) - +(d < 0));
      gE[gHOff + k] += gd;
      gR[gROff + k] += gd;
      gE[gTOff + k] -= gd;
    }
  }
}

/** TransE L2 kernel: score = -sqrt(sum_k d_k^2 + eps), d = h + r - t; d score/d d_k = -d_k / sqrt(...). */
export class TransEL2Kernel implements TripleKernel {
  constructor(readonly coordinates: number) {}

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const n = this.coordinates;
    let s = 0;
    for (let k = 0; k < n; k++) {
      const d = E[hOff + k] + R[rOff + k] - E[tOff + k];
      s += d * d;
    }
    return -Math.sqrt(s + DIST_EPS);
  }

  backward(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void {
    const n = this.coordinates;
    let s = 0;
    for (let k = 0; k < n; k++) {
      const d = E[hOff + k] + R[rOff + k] - E[tOff + k];
      s += d * d;
    }
    this.addScaled(E, hOff, R, rOff, tOff, -g / Math.sqrt(s + DIST_EPS), gE, gHOff, gTOff, gR, gROff, 0, n);
  }

  /** score = -sqrt(s + eps) exactly, so -g / sqrt(s + eps) = g / score bit for bit. */
  backwardSlice(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number, score: number,
  ): void {
    this.addScaled(E, hOff, R, rOff, tOff, g / score, gE, gHOff, gTOff, gR, gROff, k0, k1);
  }

  private addScaled(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, c: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number,
  ): void {
    for (let k = k0; k < k1; k++) {
      const gd = c * (E[hOff + k] + R[rOff + k] - E[tOff + k]);
      gE[gHOff + k] += gd;
      gR[gROff + k] += gd;
      gE[gTOff + k] -= gd;
    }
  }
}

/** Factory of `TransE.workerKernel`: args dim, norm (1 | 2), normalizeEntities. */
export function transeWorkerKernel(args: { dim: number; norm: number; normalizeEntities: boolean }): WorkerKernel {
  const { dim } = args;
  return {
    kernel: args.norm === 1 ? new TransEL1Kernel(dim) : new TransEL2Kernel(dim),
    constrainEntities: args.normalizeEntities ? (table, rows, count) => normalizeRowsL2(table, dim, 0, rows, count) : undefined,
  };
}
