/**
 * The differentiable (tfjs) softmax cross-entropy, against hard labels, soft target rows, or the
 * mixed labels of Eq. 6 of "Interventional Imbalanced Multi-Modal Representation Learning via
 * beta-Generalization Front-Door Criterion". Every form is the one per-row expression
 * -sum_c y_c log softmax(z)_c ({@link crossEntropyPerRow}); the multimodal training steps, IMML
 * and the classification baselines share it. (The all-entity 1-vs-all cross-entropy with its
 * hand-derived gradient runs inside the dense engines, src/dense.)
 */
import * as tf from '@tensorflow/tfjs';
import { tensorsOnHost } from './backend';

/** One-hot float targets [rows, C]. */
export function oneHot(labels: Int32Array, numClasses: number): tf.Tensor2D {
  return tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D;
}

/** Soft targets lambda_i onehot(yA_i) + (1 - lambda_i) onehot(yB_i), [rows, C]; `lambda` is [rows]. */
export function mixedTargets(yA: Int32Array, yB: Int32Array, lambda: Float32Array, numClasses: number): tf.Tensor2D {
  return tf.tensor2d(mixedTargetValues(yA, yB, lambda, numClasses), [lambda.length, numClasses]);
}

/**
 * The rows of {@link mixedTargets} on the host (one upload instead of eleven small ops), with the
 * float32 arithmetic of lambda * onehot(yA) + (1 - lambda) * onehot(yB): t[yA] = lambda,
 * t[yB] = fl(1 - lambda), and fl(lambda + fl(1 - lambda)) where yA = yB.
 */
function mixedTargetValues(yA: Int32Array, yB: Int32Array, lambda: Float32Array, numClasses: number): Float32Array {
  const rows = lambda.length;
  const t = new Float32Array(rows * numClasses);
  for (let r = 0; r < rows; r++) {
    t[r * numClasses + yA[r]] = lambda[r];
    t[r * numClasses + yB[r]] += Math.fround(1 - lambda[r]);
  }
  return t;
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
 *
 * On the host backends (wasm, cpu) this is one op on typed arrays, value and hand-derived
 * gradient d/dz_rc = (softmax(z_r)_c sum_k t_rk - t_rc) / rows in float64, with the float32
 * targets of {@link mixedTargets}: the tfjs expression is some twenty small kernels forward and
 * backward, which at IMML's few dozen mixed rows per step cost more than the arithmetic. Elsewhere
 * (`onHost` false), the tfjs expression, where reading the logits back would cost a device sync.
 */
export function mixedCrossEntropy(logits: tf.Tensor2D, yA: Int32Array, yB: Int32Array, lambda: Float32Array, onHost = tensorsOnHost()): tf.Scalar {
  const [rows, C] = logits.shape;
  if (yA.length !== rows || yB.length !== rows || lambda.length !== rows) {
    throw new Error(`mixedCrossEntropy: ${rows} logit rows but ${yA.length} / ${yB.length} labels and ${lambda.length} lambdas`);
  }
  for (const y of [yA, yB]) for (let r = 0; r < rows; r++) if (!(y[r] >= 0 && y[r] < C)) throw new Error(`mixedCrossEntropy: label ${y[r]} outside 0..${C - 1}`);
  if (!onHost) return tf.tidy(() => softCrossEntropy(logits, mixedTargets(yA, yB, lambda, C)));
  const t = mixedTargetValues(yA, yB, lambda, C);
  const op = tf.customGrad(((z: tf.Tensor) => {
    const zs = z.dataSync() as Float32Array;
    const grad = new Float64Array(rows * C); // softmax * sum(t) - t per row, before 1 / rows
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) if (zs[o + c] > max) max = zs[o + c];
      let sum = 0;
      let tSum = 0;
      for (let c = 0; c < C; c++) {
        sum += Math.exp(zs[o + c] - max);
        tSum += t[o + c];
      }
      const lse = max + Math.log(sum);
      for (let c = 0; c < C; c++) {
        total += t[o + c] * (lse - zs[o + c]);
        grad[o + c] = (Math.exp(zs[o + c] - max) / sum) * tSum - t[o + c];
      }
    }
    return {
      value: tf.scalar(rows > 0 ? total / rows : NaN),
      gradFunc: (dy: tf.Tensor) => {
        const s = (dy.dataSync() as Float32Array)[0] / rows;
        return tf.tensor2d(Float32Array.from(grad, (g) => g * s), [rows, C]);
      },
    };
  }) as never) as unknown as (z: tf.Tensor2D) => tf.Scalar;
  return op(logits);
}
