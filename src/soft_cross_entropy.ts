/**
 * The differentiable (tfjs) softmax cross-entropy, against hard labels, soft target rows, or the
 * mixed labels of Eq. 6 of "Interventional Imbalanced Multi-Modal Representation Learning via
 * beta-Generalization Front-Door Criterion". Every form is the one per-row expression
 * -sum_c y_c log softmax(z)_c ({@link crossEntropyPerRow}); the multimodal training steps, IMML
 * and the classification baselines share it. (The all-entity 1-vs-all cross-entropy with its
 * hand-derived gradient runs inside the dense engines, src/dense.)
 */
import * as tf from '@tensorflow/tfjs';

/** One-hot float targets [rows, C]. */
export function oneHot(labels: Int32Array, numClasses: number): tf.Tensor2D {
  return tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D;
}

/** Soft targets lambda_i onehot(yA_i) + (1 - lambda_i) onehot(yB_i), [rows, C]; `lambda` is [rows]. */
export function mixedTargets(yA: Int32Array, yB: Int32Array, lambda: Float32Array, numClasses: number): tf.Tensor2D {
  // Built on the host (one upload instead of eleven small ops) with the float32 arithmetic of
  // lambda * onehot(yA) + (1 - lambda) * onehot(yB): t[yA] = lambda, t[yB] = fl(1 - lambda), and
  // fl(lambda + fl(1 - lambda)) where yA = yB.
  const rows = lambda.length;
  const t = new Float32Array(rows * numClasses);
  for (let r = 0; r < rows; r++) {
    const rest = Math.fround(1 - lambda[r]);
    t[r * numClasses + yA[r]] = lambda[r];
    t[r * numClasses + yB[r]] += rest;
  }
  return tf.tensor2d(t, [rows, numClasses]);
}

/** Per-row cross-entropy -sum_c targets_rc log softmax(logits_r)_c of logits [rows, C] against target rows: [rows]. */
export function crossEntropyPerRow(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

/** Per-sample cross-entropy of logits [rows, C] against hard labels: [rows]. */
export function crossEntropyPerSample(logits: tf.Tensor2D, labels: Int32Array): tf.Tensor1D {
  return crossEntropyPerRow(logits, oneHot(labels, logits.shape[1]));
}

/** Mean cross-entropy against hard labels (torch.nn.CrossEntropyLoss). */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return tf.mean(crossEntropyPerSample(logits, labels)) as tf.Scalar;
}

/** Cross-entropy of logits [rows, C] against soft target rows (each summing to 1); mean over rows. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(crossEntropyPerRow(logits, targets)) as tf.Scalar);
}

/**
 * Soft-target cross-entropy with the mixed labels of Eq. 6: target row i is
 * lambda_i onehot(yA_i) + (1 - lambda_i) onehot(yB_i) over `logits`' columns; mean over rows.
 * `lambda` is [rows] (one draw per mixed sample).
 */
export function mixedCrossEntropy(logits: tf.Tensor2D, yA: Int32Array, yB: Int32Array, lambda: Float32Array): tf.Scalar {
  return tf.tidy(() => softCrossEntropy(logits, mixedTargets(yA, yB, lambda, logits.shape[1])));
}
