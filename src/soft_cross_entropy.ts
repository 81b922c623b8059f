/**
 * Cross-entropy against soft targets, and its mixed-label form (Eq. 6 of "Interventional
 * Imbalanced Multi-Modal Representation Learning via beta-Generalization Front-Door Criterion").
 * A core primitive: the multimodal training step, IMML and the classification baselines share it.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Soft-target cross-entropy with the mixed labels of Eq. 6: target row i is
 * lambda_i onehot(yA_i) + (1 - lambda_i) onehot(yB_i) over `logits`' columns; mean over rows.
 * `lambda` is [rows] (one draw per mixed sample).
 */
export function mixedCrossEntropy(logits: tf.Tensor2D, yA: Int32Array, yB: Int32Array, lambda: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const [rows, C] = logits.shape;
    const lam = tf.tensor2d(lambda, [rows, 1]);
    const targets = tf.add(
      tf.mul(lam, tf.oneHot(tf.tensor1d(yA, 'int32'), C).toFloat()),
      tf.mul(tf.sub(1, lam), tf.oneHot(tf.tensor1d(yB, 'int32'), C).toFloat()),
    );
    return softCrossEntropy(logits, targets as tf.Tensor2D);
  });
}

/** Cross-entropy of logits [rows, C] against soft target rows (each summing to 1); mean over rows. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}
