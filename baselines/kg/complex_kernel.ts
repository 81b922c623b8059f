/**
 * ComplEx's fused kernel (Trouillon et al. 2016, see complex.ts) without tfjs, so that training
 * worker threads load it quickly: `complexWorkerKernel` is the factory of `ComplEx.workerKernel`.
 */
import type { TripleKernel, WorkerKernel } from '../../src/scorer';
import { SlicedTripleKernel } from './common';

/**
 * ComplEx kernel, h = a + ib, r = c + id, t = e + if per coordinate:
 * score = sum (a c - b d) e + (a d + b c) f; d/da = c e + d f, d/db = c f - d e, d/dc = a e + b f,
 * d/dd = a f - b e, d/de = a c - b d, d/df = a d + b c.
 */
export class ComplExKernel extends SlicedTripleKernel {

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const n = this.coordinates;
    let s = 0;
    for (let k = 0; k < n; k++) {
      const a = E[hOff + k], b = E[hOff + n + k];
      const c = R[rOff + k], d = R[rOff + n + k];
      const e = E[tOff + k], f = E[tOff + n + k];
      s += (a * c - b * d) * e + (a * d + b * c) * f;
    }
    return s;
  }


  backwardSlice(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number,
  ): void {
    const n = this.coordinates;
    for (let k = k0; k < k1; k++) {
      const a = E[hOff + k], b = E[hOff + n + k];
      const c = R[rOff + k], d = R[rOff + n + k];
      const e = E[tOff + k], f = E[tOff + n + k];
      gE[gHOff + k] += g * (c * e + d * f);
      gE[gHOff + n + k] += g * (c * f - d * e);
      gR[gROff + k] += g * (a * e + b * f);
      gR[gROff + n + k] += g * (a * f - b * e);
      gE[gTOff + k] += g * (a * c - b * d);
      gE[gTOff + n + k] += g * (a * d + b * c);
    }
  }
}

/** Factory of `ComplEx.workerKernel`: args dim (complex coordinates). No constraint. */
export function complexWorkerKernel(args: { dim: number }): WorkerKernel {
  return { kernel: new ComplExKernel(args.dim) };
}
