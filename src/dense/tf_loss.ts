import * as tf from '@tensorflow/tfjs';
import type { DenseHead, HeadLoss } from './head';

/**
 * The dense head as one differentiable tfjs op, for models whose Q and candidate table F come
 * out of tfjs autodiff (OTKGE's fused entities, IMML's mixed queries): the forward pass hands
 * Q [B, d] and F [N, d] to the engine, which returns the loss together with dQ and dF; the
 * gradient function only scales them by the upstream gradient. Buffers are fresh per call
 * because several calls of one step (the 1-vs-all term and L_beta) are differentiated together.
 */
export function denseHeadLoss(head: DenseHead, Q: tf.Tensor2D, F: tf.Tensor2D, loss: HeadLoss): tf.Scalar {
  const [B, d] = Q.shape;
  const [N, dF] = F.shape;
  if (d !== dF) throw new Error(`dense head: query width ${d} differs from the candidate width ${dF}`);
  const op = tf.customGrad(((q: tf.Tensor, f: tf.Tensor) => {
    const dQ = new Float32Array(B * d);
    const dE = new Float32Array(N * d);
    const value = head.lossAndGrads({ Q: q.dataSync() as Float32Array, E: f.dataSync() as Float32Array, B, N, d }, loss, { dQ, dE });
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.tensor2d(dQ, [B, d])), tf.mul(dy, tf.tensor2d(dE, [N, d]))],
    };
  }) as never) as unknown as (q: tf.Tensor2D, f: tf.Tensor2D) => tf.Scalar;
  return op(Q, F);
}
