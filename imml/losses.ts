import * as tf from '@tensorflow/tfjs';
import { matMulFast } from '../src/tf_ops';
import { softCrossEntropy } from '../src/soft_cross_entropy';

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

/** n x n identity matrices, kept across steps (building one costs more than the loss it serves). */
const eyeCache = new Map<number, tf.Tensor2D>();

function eye(n: number): tf.Tensor2D {
  let e = eyeCache.get(n);
  if (!e) {
    if (eyeCache.size >= 8) {
      const [oldest, t] = eyeCache.entries().next().value as [number, tf.Tensor2D];
      eyeCache.delete(oldest);
      t.dispose();
    }
    e = tf.keep(tf.eye(n));
    eyeCache.set(n, e);
  }
  return e;
}

/**
 * -mean_i log softmax(concat[cross_i, self_i])[positive_i]: the NT-Xent terms of Eq. 3 with the
 * positive on the diagonal of `cross` and the anchor itself masked out of `self`, as the core
 * soft cross-entropy against the one-hot targets [I | 0] (one non-zero per row, so the same floats
 * as summing the diagonal of log softmax).
 */
function ntXentFromSimilarities(cross: tf.Tensor2D, self: tf.Tensor2D): tf.Scalar {
  const n = cross.shape[0];
  const I = eye(n);
  const logits = tf.concat([cross, tf.sub(self, tf.mul(I, 1e9))], 1) as tf.Tensor2D;
  return softCrossEntropy(logits, tf.concat([I, tf.zerosLike(I)], 1) as tf.Tensor2D);
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
    const an = l2NormalizeRows(a);
    const bn = l2NormalizeRows(b);
    const simAB = tf.div(matMulFast(an, tf.transpose(bn)), tau) as tf.Tensor2D; // diagonal = positives
    const simAA = tf.div(matMulFast(an, tf.transpose(an)), tau) as tf.Tensor2D; // anchor masked out below
    return ntXentFromSimilarities(simAB, simAA);
  });
}

/**
 * L_mdke of Eq. 2: the sum over modalities m of L^{m,[m+1]_M} (cyclic pairs). `xis` are the
 * projected features xi^m = P^m(h^m), one [n, D] tensor per modality, rows aligned by sample.
 * With M = 1 there is no pair and the loss is 0. Equal to summing `ntXentPair` over the pairs,
 * but each modality is normalised once, its self-similarity computed once, and with M = 2 the
 * two directions share one cross-similarity product (small batches are dominated by per-op cost).
 */
export function mdkeLoss(xis: tf.Tensor2D[], tau: number): tf.Scalar {
  const M = xis.length;
  if (M < 2) return tf.scalar(0);
  return tf.tidy(() => {
    const z = xis.map((x) => l2NormalizeRows(x));
    const self = z.map((zm) => tf.div(matMulFast(zm, tf.transpose(zm)), tau) as tf.Tensor2D);
    const cross: tf.Tensor2D[] = [];
    for (let m = 0; m < M; m++) {
      const next = (m + 1) % M;
      // With two modalities the pair (2, 1) is the transpose of (1, 2).
      if (M === 2 && m === 1) cross.push(tf.transpose(cross[0]));
      else cross.push(tf.div(matMulFast(z[m], tf.transpose(z[next])), tau) as tf.Tensor2D);
    }
    let total: tf.Scalar = tf.scalar(0);
    for (let m = 0; m < M; m++) total = tf.add(total, ntXentFromSimilarities(cross[m], self[m])) as tf.Scalar;
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

// The soft/mixed cross-entropy is a core primitive (src/soft_cross_entropy.ts); re-exported for IMML's users.
export { mixedCrossEntropy, softCrossEntropy } from '../src/soft_cross_entropy';
