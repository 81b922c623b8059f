import * as tf from '@tensorflow/tfjs';
import { checkBlock, checkMatMul, fillTargets, type DenseBlock, type DenseHead, type HeadGrads, type HeadLoss, type ScoreTable } from './head';

/**
 * The dense head on the active tfjs backend (wasm, cpu, tfjs-node, webgpu): the fallback where
 * onnxruntime-node does not load. Transposes are explicit (tfjs-wasm's matMul with transpose
 * flags measured ~8x slower than on a pre-transposed operand).
 */
export class TfjsHead implements DenseHead {
  readonly name = 'tfjs' as const;
  get description(): string {
    return `tfjs (backend ${tf.getBackend()})`;
  }
  private Y = new Float32Array(0);

  lossAndGrads(b: DenseBlock, spec: HeadLoss, out: HeadGrads): number {
    checkBlock(b, out);
    const { B, N, d } = b;
    const weight = spec.weight ?? 1 / B;
    if (this.Y.length < B * N) this.Y = new Float32Array(B * N);
    fillTargets(spec.targets, B, N, this.Y);
    const [lossT, dQT, dET] = tf.tidy(() => {
      const Q = tf.tensor2d(b.Q.subarray(0, B * d), [B, d]);
      const E = tf.tensor2d(b.E.subarray(0, N * d), [N, d]);
      const Y = tf.tensor2d(this.Y.subarray(0, B * N), [B, N]);
      const S = tf.matMul(Q, tf.transpose(E));
      let rowLoss: tf.Tensor;
      let P: tf.Tensor;
      if (spec.loss === 'ce') {
        const L = tf.logSoftmax(S);
        rowLoss = tf.neg(tf.sum(tf.mul(Y, L), 1));
        P = tf.exp(L);
      } else {
        rowLoss = tf.sum(tf.sub(tf.softplus(S), tf.mul(Y, S)), 1);
        P = tf.sigmoid(S);
      }
      const G = tf.mul(tf.sub(P, Y), weight) as tf.Tensor2D;
      return [tf.mul(tf.sum(rowLoss), weight), tf.matMul(G, E), tf.matMul(tf.transpose(G), Q)];
    });
    // dataSync outside tidy (a typed array returned from tidy is walked as a tensor container).
    const loss = (lossT.dataSync() as Float32Array)[0];
    out.dQ.set(dQT.dataSync() as Float32Array);
    out.dE.set(dET.dataSync() as Float32Array);
    tf.dispose([lossT, dQT, dET]);
    return loss;
  }

  prepareScores(E: Float32Array, N: number, d: number): ScoreTable & { ET: tf.Tensor2D } {
    checkBlock({ Q: E, E, B: 1, N, d });
    const ET = tf.tidy(() => tf.transpose(tf.tensor2d(E.subarray(0, N * d), [N, d]))) as tf.Tensor2D;
    return { ET, N, d, dispose: () => ET.dispose() };
  }

  scores(table: ScoreTable, Q: Float32Array, B: number, out: Float32Array): void {
    const t = table as ScoreTable & { ET: tf.Tensor2D };
    checkBlock({ Q, E: Q, B, N: 1, d: t.d });
    const S = tf.tidy(() => tf.matMul(tf.tensor2d(Q.subarray(0, B * t.d), [B, t.d]), t.ET));
    try {
      out.set(S.dataSync() as Float32Array);
    } finally {
      S.dispose();
    }
  }

  matMul(A: Float32Array, B: Float32Array, m: number, k: number, n: number, out: Float32Array, transA = false, transB = false): void {
    checkMatMul(A, B, m, k, n, out);
    const C = tf.tidy(() => {
      const a = transA ? tf.transpose(tf.tensor2d(A.subarray(0, m * k), [k, m])) : tf.tensor2d(A.subarray(0, m * k), [m, k]);
      const b = transB ? tf.transpose(tf.tensor2d(B.subarray(0, k * n), [n, k])) : tf.tensor2d(B.subarray(0, k * n), [k, n]);
      return tf.matMul(a, b);
    });
    try {
      out.set(C.dataSync() as Float32Array);
    } finally {
      C.dispose();
    }
  }

  dispose(): void {}
}
