/**
 * DistMult's fused kernel (Yang et al. 2015, see distmult.ts) without tfjs, so that training worker
 * threads load it quickly: `distmultWorkerKernel` is the factory of `DistMult.workerKernel`.
 */
import type { TripleKernel, WorkerKernel } from '../../src/scorer';
import { SlicedTripleKernel } from './common';

/** DistMult kernel: score = sum_k h_k r_k t_k; d/dh_k = r_k t_k, d/dr_k = h_k t_k, d/dt_k = h_k r_k. */
export class DistMultKernel extends SlicedTripleKernel {

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const n = this.coordinates;
    let s = 0;
    for (let k = 0; k < n; k++) s += E[hOff + k] * R[rOff + k] * E[tOff + k];
    return s;
  }


  backwardSlice(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number,
  ): void {
    for (let k = k0; k < k1; k++) {
      const h = E[hOff + k];
      const r = R[rOff + k];
      const t = E[tOff + k];
      gE[gHOff + k] += g * r * t;
      gR[gROff + k] += g * h * t;
      gE[gTOff + k] += g * h * r;
    }
  }
}

/** Factory of `DistMult.workerKernel`: args dim. No constraint. */
export function distmultWorkerKernel(args: { dim: number }): WorkerKernel {
  return { kernel: new DistMultKernel(args.dim) };
}
