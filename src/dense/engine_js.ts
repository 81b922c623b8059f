import { checkBlock, checkMatMul, fillTargets, type DenseBlock, type DenseHead, type HeadGrads, type HeadLoss, type ScoreTable } from './head';

/**
 * Plain-JS reference engine: the definition every other engine is tested against
 * (float64 accumulation, no library). Far too slow for real sizes; `--engine js` exists for checks.
 */
export class JsHead implements DenseHead {
  readonly name = 'js' as const;
  readonly description = 'js (plain-JS reference, float64 accumulation, 1 thread)';

  lossAndGrads(b: DenseBlock, spec: HeadLoss, out: HeadGrads): number {
    checkBlock(b, out);
    const { Q, E, B, N, d } = b;
    const w = spec.weight ?? 1 / B;
    const Y = new Float32Array(B * N);
    fillTargets(spec.targets, B, N, Y);
    const G = new Float64Array(B * N);
    let loss = 0;
    for (let i = 0; i < B; i++) {
      const s = new Float64Array(N);
      for (let j = 0; j < N; j++) s[j] = dot(Q, i * d, E, j * d, d);
      if (spec.loss === 'ce') {
        let max = -Infinity;
        for (let j = 0; j < N; j++) max = Math.max(max, s[j]);
        let z = 0;
        for (let j = 0; j < N; j++) z += Math.exp(s[j] - max);
        const lse = max + Math.log(z);
        for (let j = 0; j < N; j++) {
          const y = Y[i * N + j];
          loss -= w * y * (s[j] - lse);
          G[i * N + j] = w * (Math.exp(s[j] - lse) - y);
        }
      } else {
        for (let j = 0; j < N; j++) {
          const y = Y[i * N + j];
          const x = s[j];
          const softplus = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
          loss += w * (softplus - y * x);
          G[i * N + j] = w * (1 / (1 + Math.exp(-x)) - y);
        }
      }
    }
    for (let i = 0; i < B; i++) {
      for (let k = 0; k < d; k++) {
        let acc = 0;
        for (let j = 0; j < N; j++) acc += G[i * N + j] * E[j * d + k];
        out.dQ[i * d + k] = acc;
      }
    }
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < d; k++) {
        let acc = 0;
        for (let i = 0; i < B; i++) acc += G[i * N + j] * Q[i * d + k];
        out.dE[j * d + k] = acc;
      }
    }
    return loss;
  }

  prepareScores(E: Float32Array, N: number, d: number): ScoreTable & { E: Float32Array } {
    return { E, N, d, dispose: () => undefined };
  }

  scores(table: ScoreTable, Q: Float32Array, B: number, out: Float32Array): void {
    const { E, N, d } = table as ScoreTable & { E: Float32Array };
    checkBlock({ Q, E, B, N, d });
    for (let i = 0; i < B; i++) for (let j = 0; j < N; j++) out[i * N + j] = dot(Q, i * d, E, j * d, d);
  }

  matMul(A: Float32Array, B: Float32Array, m: number, k: number, n: number, out: Float32Array, transA = false, transB = false): void {
    checkMatMul(A, B, m, k, n, out);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc += (transA ? A[l * m + i] : A[i * k + l]) * (transB ? B[j * k + l] : B[l * n + j]);
        out[i * n + j] = acc;
      }
    }
  }

  dispose(): void {}
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[ao + k] * b[bo + k];
  return s;
}

/** max |a - b| / (max |b| + tiny): how far an engine's float32 output is from the reference `b`. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-12;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
