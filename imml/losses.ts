import * as tf from '@tensorflow/tfjs';
import { matMulFast } from '../src/tf_ops';

/**
 * The two losses of IMML (Section IV of the paper), as differentiable tfjs functions shared by
 * link prediction and classification.
 */

/**
 * Rows scaled to unit L2 norm (cosine similarity = dot product of the results), as
 * x / sqrt(|x|^2 + eps): finite value and gradient for a zero row (tf.norm's gradient is 0/0 there).
 */
export function l2NormalizeRows(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), eps))) as tf.Tensor2D;
}

/**
 * L^{m,m'} of Eq. 3 for anchors in modality m (rows of `a`) and their positives in modality
 * m' = [m+1]_M (rows of `b`, same sample order): for anchor i the positive is b_i and the
 * denominator runs over all (i', m'') with m'' in {m, m'} except (i, m) itself, with cosine
 * similarity / tau. The paper sums over i; we average so that gamma1 does not scale with the
 * batch size (a constant factor, stated as our choice).
 */
export function ntXentPair(a: tf.Tensor2D, b: tf.Tensor2D, tau: number): tf.Scalar {
  return tf.tidy(() => {
    const n = a.shape[0];
    const an = l2NormalizeRows(a);
    const bn = l2NormalizeRows(b);
    const simAB = tf.div(matMulFast(an, tf.transpose(bn)), tau); // [n, n], diagonal = positives
    // Same-modality similarities without the anchor itself: the diagonal is pushed to -inf-ish.
    const selfMask = tf.mul(tf.eye(n), -1e9);
    const simAA = tf.add(tf.div(matMulFast(an, tf.transpose(an)), tau), selfMask);
    const logits = tf.concat([simAB, simAA], 1); // [n, 2n]
    const logZ = tf.logSumExp(logits, 1); // [n]
    const positive = tf.sum(tf.mul(simAB, tf.eye(n)), 1); // [n]
    return tf.mean(tf.sub(logZ, positive)) as tf.Scalar;
  });
}

/**
 * L_mdke of Eq. 2: the sum over modalities m of L^{m,[m+1]_M} (cyclic pairs). `xis` are the
 * projected features xi^m = P^m(h^m), one [n, D] tensor per modality, rows aligned by sample.
 * With M = 1 there is no pair and the loss is 0.
 */
export function mdkeLoss(xis: tf.Tensor2D[], tau: number): tf.Scalar {
  const M = xis.length;
  if (M < 2) return tf.scalar(0);
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    // With M = 2 the pairs are (1,2) and (2,1): two directions of the same positive pairs.
    for (let m = 0; m < M; m++) total = tf.add(total, ntXentPair(xis[m], xis[(m + 1) % M], tau)) as tf.Scalar;
    return total;
  });
}

/** Rows of x shifted by n (row i of the result is row (i + n) mod B of x): the partners i' of Eq. 6. */
export function rollRows<T extends tf.Tensor>(x: T, n: number): T {
  const B = x.shape[0];
  const s = ((n % B) + B) % B;
  if (s === 0) return x.clone() as T;
  return tf.concat([tf.slice(x, s, B - s), tf.slice(x, 0, s)], 0) as T;
}

/** Integer array version of rollRows. */
export function rollIndices(ids: Int32Array, n: number): Int32Array {
  const B = ids.length;
  const out = new Int32Array(B);
  const s = B > 0 ? ((n % B) + B) % B : 0; // as rollRows: negative shifts wrap too
  for (let i = 0; i < B; i++) out[i] = ids[(i + s) % B];
  return out;
}

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
