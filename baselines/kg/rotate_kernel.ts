/**
 * RotatE's fused kernel (Sun et al. 2019, see rotate.ts) without tfjs, so that training worker
 * threads load it quickly: `rotateWorkerKernel` is the factory of `RotatE.workerKernel`.
 */
import type { TripleKernel, WorkerKernel } from '../../src/scorer';
import { DIST_EPS, SlicedTripleKernel } from './common';

/**
 * RotatE kernel. Per coordinate, with c = cos theta, s = sin theta, u = h o r - t and m = sqrt(|u|^2 + eps):
 * score = gamma - sum m; with a = -g u_re / m, b = -g u_im / m:
 * dh_re = a c + b s, dh_im = b c - a s, dt_re = -a, dt_im = -b, dtheta = b (h o r)_re - a (h o r)_im.
 * cos/sin are cached per relation-table slot and recomputed only when the stored phase value changed
 * (compared exactly), so the cache can never go stale (and every instance computes the same floats).
 */
export class RotatEKernel extends SlicedTripleKernel {
  private cacheTheta = new Float32Array(0);
  private cacheCos = new Float64Array(0);
  private cacheSin = new Float64Array(0);

  constructor(coordinates: number, private readonly gamma: number) {
    super(coordinates);
  }

  private ensureCache(size: number): void {
    if (this.cacheTheta.length >= size) return;
    const cap = Math.max(size, 2 * this.cacheTheta.length);
    const theta = new Float32Array(cap).fill(NaN); // NaN never equals a phase: forces a first compute
    theta.set(this.cacheTheta);
    const cos = new Float64Array(cap);
    cos.set(this.cacheCos);
    const sin = new Float64Array(cap);
    sin.set(this.cacheSin);
    this.cacheTheta = theta;
    this.cacheCos = cos;
    this.cacheSin = sin;
  }

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const n = this.coordinates;
    if (rOff + n > this.cacheTheta.length) this.ensureCache(R.length);
    const ct = this.cacheTheta, cc = this.cacheCos, cs = this.cacheSin;
    let dist = 0;
    for (let k = 0; k < n; k++) {
      const j = rOff + k;
      const th = R[j];
      let c: number, s: number;
      if (th === ct[j]) {
        c = cc[j];
        s = cs[j];
      } else {
        c = Math.cos(th);
        s = Math.sin(th);
        ct[j] = th;
        cc[j] = c;
        cs[j] = s;
      }
      const hr = E[hOff + k], hi = E[hOff + n + k];
      const ur = hr * c - hi * s - E[tOff + k];
      const ui = hr * s + hi * c - E[tOff + n + k];
      dist += Math.sqrt(ur * ur + ui * ui + DIST_EPS);
    }
    return this.gamma - dist;
  }


  backwardSlice(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number,
  ): void {
    const n = this.coordinates;
    if (rOff + n > this.cacheTheta.length) this.ensureCache(R.length);
    const ct = this.cacheTheta, cc = this.cacheCos, cs = this.cacheSin;
    for (let k = k0; k < k1; k++) {
      const j = rOff + k;
      const th = R[j];
      let c: number, s: number;
      if (th === ct[j]) {
        c = cc[j];
        s = cs[j];
      } else {
        c = Math.cos(th);
        s = Math.sin(th);
        ct[j] = th;
        cc[j] = c;
        cs[j] = s;
      }
      const hr = E[hOff + k], hi = E[hOff + n + k];
      const pr = hr * c - hi * s;
      const pi = hr * s + hi * c;
      const ur = pr - E[tOff + k];
      const ui = pi - E[tOff + n + k];
      const w = -g / Math.sqrt(ur * ur + ui * ui + DIST_EPS);
      const a = w * ur;
      const b = w * ui;
      gE[gHOff + k] += a * c + b * s;
      gE[gHOff + n + k] += b * c - a * s;
      gE[gTOff + k] -= a;
      gE[gTOff + n + k] -= b;
      gR[gROff + k] += b * pr - a * pi;
    }
  }
}

/** Factory of `RotatE.workerKernel`: args dim (complex coordinates), gamma. No constraint. */
export function rotateWorkerKernel(args: { dim: number; gamma: number }): WorkerKernel {
  return { kernel: new RotatEKernel(args.dim, args.gamma) };
}
