import * as tf from '@tensorflow/tfjs';
import type { DenseHead, HeadLoss } from './head';
import { hostValues } from '../backend';

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
  const views = takesHeapViews(head);
  const op = tf.customGrad(((q: tf.Tensor, f: tf.Tensor) => {
    const dQ = new Float32Array(B * d);
    const dE = new Float32Array(N * d);
    const value = head.lossAndGrads({ Q: operand(q, views), E: operand(f, views), B, N, d }, loss, { dQ, dE });
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.tensor2d(dQ, [B, d])), tf.mul(dy, tf.tensor2d(dE, [N, d]))],
    };
  }) as never) as unknown as (q: tf.Tensor2D, f: tf.Tensor2D) => tf.Scalar;
  return op(Q, F);
}

/**
 * a @ b ([m, k] x [k, n]) as a differentiable tfjs op computed by the engine: forward C = a b,
 * backward da = dy b^T and db = a^T dy as Gemms with transpose flags (no explicit transposes).
 */
export function denseMatMul(head: DenseHead, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = a.shape;
  const [kb, n] = b.shape;
  if (k !== kb) throw new Error(`dense matMul: inner sizes differ (${k} vs ${kb})`);
  const views = takesHeapViews(head);
  const op = tf.customGrad(((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x, y]);
    const C = new Float32Array(m * n);
    head.matMul(operand(x, views), operand(y, views), m, k, n, C);
    return {
      value: tf.tensor2d(C, [m, n]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dA = new Float32Array(m * k);
        const dB = new Float32Array(k * n);
        const [G, A, B] = [operand(dy, views), operand(saved[0], views), operand(saved[1], views)];
        head.matMul(G, B, m, n, k, dA, false, true);
        head.matMul(A, G, k, m, n, dB, true, false);
        return [tf.tensor2d(dA, [m, k]), tf.tensor2d(dB, [k, n])];
      },
    };
  }) as never) as unknown as (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D;
  return op(a, b);
}

/**
 * Whether `head` may read views of the tfjs heap (`hostValues`): every engine but tfjs itself,
 * whose own ops may move the heap under them.
 */
function takesHeapViews(head: DenseHead): boolean {
  return head.name !== 'tfjs';
}

/** x's values for the engine: a heap view where it takes one, else a copy. */
function operand(x: tf.Tensor, view: boolean): Float32Array {
  return view ? hostValues(x) : (x.dataSync() as Float32Array);
}

let current: DenseHead | undefined;

/**
 * The engine that models' dense products use (`tensorMatMul`); set by the trainer for the run
 * (one engine per process at a time), undefined = tfjs's own matMul.
 */
export function setTensorEngine(head: DenseHead | undefined): void {
  current = head;
}

/** The engine set by {@link setTensorEngine}, if any (typed-array products of fused encoders use it too). */
export function currentTensorEngine(): DenseHead | undefined {
  return current;
}

/** a @ b through the run's engine when one is set, else `fallback` (a tfjs product). */
export function tensorMatMul(a: tf.Tensor2D, b: tf.Tensor2D, fallback: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
  return current ? denseMatMul(current, a, b) : fallback(a, b);
}
