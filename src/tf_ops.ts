import * as tf from '@tensorflow/tfjs';
import { scatterAddRows } from './rows';

/**
 * a @ b whose gradient uses explicit transposes and plain matMuls. tfjs' own matMul gradient
 * calls matMul with transpose flags, which the wasm backend runs several times slower (measured
 * ~8x on a 1024x512 @ 512x512 product); this keeps 1-vs-all multimodal training on the fast path.
 */
export const matMulFast: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  ((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([a, b]);
    return {
      value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as tf.Tensor2D[];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
      },
    };
  }) as never,
) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * Rows `ids` of x ([ids.length, W]), differentiable. The gradient (a scatter-add) is done in
 * JS: tf.gather's own gradient needs UnsortedSegmentSum, which the wasm backend lacks and which
 * tfjs' cpu backend materialises expensively.
 */
export function gatherRows(x: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const [n, W] = x.shape;
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.gather(args[0] as tf.Tensor, tf.tensor1d(ids, 'int32')),
    gradFunc: (dy: tf.Tensor) => {
      const out = new Float32Array(n * W);
      scatterAddRows(out, ids, dy.dataSync() as Float32Array, W);
      return tf.tensor2d(out, [n, W]);
    },
  })) as never) as unknown as (t: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}
