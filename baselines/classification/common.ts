/**
 * Shared tfjs building blocks of the classification baselines: linear layers (with the
 * explicit-transpose gradient that keeps the wasm backend fast), cross-entropy, stop-gradient,
 * digamma / log-gamma (the wasm and cpu backends have no kernels for them), Euclidean distances.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulFast } from '../../src/tf_ops';
import { mixedCrossEntropy } from '../../src/soft_cross_entropy';
import type { FusionOutput, StepContext } from '../../src/classification/types';

// Linear layers and the cross-entropy are core primitives (src/linear.ts, src/soft_cross_entropy.ts); re-exported for the baselines.
export { addLinear, linear } from '../../src/linear';
export { crossEntropy, crossEntropyPerSample, mixedTargets, oneHot } from '../../src/soft_cross_entropy';

/** Identity in the forward pass, zero gradient (torch's `.detach()`). */
export const stopGradient: <T extends tf.Tensor>(x: T) => T = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as never) as never;

/** Default soft loss of a model whose `scores` are logits: soft cross-entropy (IMML's mixedCrossEntropy). */
export function softLogitsLoss(out: FusionOutput, yA: Int32Array, yB: Int32Array, lambda: Float32Array, ctx: StepContext): tf.Scalar {
  return mixedCrossEntropy(out.scores, yA, yB, lambda);
}

const SHIFT = 6;

/**
 * Digamma psi(x) for x > 0, elementwise and differentiable: the recurrence
 * psi(x) = psi(x + 6) - sum_{k<6} 1/(x + k), then the asymptotic series at y = x + 6
 * (ln y - 1/(2y) - 1/(12y^2) + 1/(120y^4) - 1/(252y^6)); absolute error < 1e-7 in float64.
 */
export function digamma(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let shiftSum: tf.Tensor = tf.zerosLike(x);
    for (let k = 0; k < SHIFT; k++) shiftSum = tf.add(shiftSum, tf.reciprocal(tf.add(x, k)));
    const y = tf.add(x, SHIFT);
    const inv = tf.reciprocal(y);
    const inv2 = tf.square(inv);
    // 1/(12 y^2) - 1/(120 y^4) + 1/(252 y^6) by Horner in inv2
    const series = tf.mul(inv2, tf.sub(1 / 12, tf.mul(inv2, tf.sub(1 / 120, tf.mul(inv2, 1 / 252)))));
    return tf.sub(tf.sub(tf.sub(tf.log(y), tf.mul(0.5, inv)), series), shiftSum);
  });
}

/**
 * ln Gamma(x) for x > 0, elementwise and differentiable: ln Gamma(x) = ln Gamma(x + 6) -
 * sum_{k<6} ln(x + k) and Stirling's series at y = x + 6.
 */
export function lgamma(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let shiftSum: tf.Tensor = tf.zerosLike(x);
    for (let k = 0; k < SHIFT; k++) shiftSum = tf.add(shiftSum, tf.log(tf.add(x, k)));
    const y = tf.add(x, SHIFT);
    const inv = tf.reciprocal(y);
    const inv2 = tf.square(inv);
    const stirling = tf.add(
      tf.add(tf.sub(tf.mul(tf.sub(y, 0.5), tf.log(y)), y), 0.5 * Math.log(2 * Math.PI)),
      tf.mul(inv, tf.sub(1 / 12, tf.mul(inv2, tf.sub(1 / 360, tf.mul(inv2, 1 / 1260))))),
    );
    return tf.sub(stirling, shiftSum);
  });
}

/** Host ln Gamma for constants (same formula, float64). */
export function lgammaHost(x: number): number {
  let s = 0;
  for (let k = 0; k < SHIFT; k++) s += Math.log(x + k);
  const y = x + SHIFT;
  const inv = 1 / y;
  const inv2 = inv * inv;
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260)) - s;
}

/**
 * Euclidean distances between the rows of x [B, D] and of c [K, D] (constants): [B, K], with
 * eps inside the square root so that the gradient stays finite at distance 0.
 */
export function euclideanDistances(x: tf.Tensor2D, c: tf.Tensor2D, eps = 1e-8): tf.Tensor2D {
  const x2 = tf.sum(tf.square(x), 1, true); // [B, 1]
  const c2 = tf.reshape(tf.sum(tf.square(c), 1), [1, -1]); // [1, K]
  const xc = matMulFast(x, tf.transpose(c) as tf.Tensor2D); // [B, K]
  const d2 = tf.relu(tf.sub(tf.add(x2, c2), tf.mul(2, xc)));
  return tf.sqrt(tf.add(d2, eps)) as tf.Tensor2D;
}
