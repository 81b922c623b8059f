import * as tf from '@tensorflow/tfjs';
import type { SparseOptimizer } from '../optim';

/**
 * Embedding regularisers applied to the rows a batch uses, one occurrence per use (as in
 * PyKEEN's LpRegularizer and kbc's N3): penalty = weight / B * sum over used rows of f(row).
 * - `l2`: f(x) = sum_k x_k^2
 * - `n3`: f(x) = sum_k |x_k|^3, with |x_k| the modulus of a complex coordinate when the table
 *   holds [re | im] halves (Lacroix et al. 2018, "Canonical Tensor Decomposition for KB completion").
 * One implementation, `regularizeRow` (value and hand-derived gradient of a row): the structural
 * steps call it on table rows for their sparse updates, and `n3Penalty` wraps it as a tfjs op
 * for the multimodal steps, which differentiate it through the fused representations.
 */
export type RegularizerKind = 'none' | 'l2' | 'n3';

/** How a training step updates the tables: optimisers, regulariser and the row layouts it needs. */
export interface TableUpdateParts {
  entityOptimizer: SparseOptimizer;
  relationOptimizer: SparseOptimizer;
  regularizer: RegularizerKind;
  regWeight: number;
  /** Entity rows are [re | im] halves (N3 then penalises complex moduli). */
  complexEntities: boolean;
  complexRelations: boolean;
}

/**
 * Adds weight * scale * grad f(row) into grad[gOff..] and returns weight * scale * f(row).
 * `complexHalves`: the row is [re_1..re_d | im_1..im_d].
 */
export function regularizeRow(
  kind: RegularizerKind, weightScale: number, table: Float32Array, off: number, width: number,
  complexHalves: boolean, grad: Float32Array, gOff: number,
): number {
  if (kind === 'none' || weightScale === 0) return 0;
  let penalty = 0;
  if (kind === 'l2') {
    for (let k = 0; k < width; k++) {
      const x = table[off + k];
      penalty += x * x;
      grad[gOff + k] += weightScale * 2 * x;
    }
  } else if (complexHalves) {
    const d = width >> 1;
    for (let k = 0; k < d; k++) {
      const re = table[off + k];
      const im = table[off + d + k];
      const m = Math.sqrt(re * re + im * im);
      penalty += m * m * m;
      // d m^3 / d re = 3 m re (smooth at 0)
      grad[gOff + k] += weightScale * 3 * m * re;
      grad[gOff + d + k] += weightScale * 3 * m * im;
    }
  } else {
    for (let k = 0; k < width; k++) {
      const x = table[off + k];
      const a = Math.abs(x);
      penalty += a * a * a;
      grad[gOff + k] += weightScale * 3 * a * x;
    }
  }
  return weightScale * penalty;
}

/**
 * The N3 penalty of rows x [n, W] as a differentiable tfjs scalar: sum |x|^3 per real
 * coordinate, or sum (re^2 + im^2)^(3/2) per complex coordinate for rows laid out [re | im]:
 * `regularizeRow` on each row (value and gradient on the host, as one op).
 */
export function n3Penalty(x: tf.Tensor2D, complex: boolean): tf.Scalar {
  const [n, W] = x.shape;
  if (complex && W % 2 !== 0) throw new Error(`n3Penalty: complex rows need an even width, got ${W}`);
  const op = tf.customGrad(((t: tf.Tensor) => {
    const data = t.dataSync() as Float32Array;
    const grad = new Float32Array(n * W);
    let penalty = 0;
    for (let i = 0; i < n; i++) penalty += regularizeRow('n3', 1, data, i * W, W, complex, grad, i * W);
    return {
      value: tf.scalar(penalty),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor2d(grad, [n, W])),
    };
  }) as never) as unknown as (t: tf.Tensor2D) => tf.Scalar;
  return op(x);
}

/** weight * (N3 of each factor, summed in order): the multimodal steps' penalty on a batch's head, tail and relation rows. */
export function n3OfFactors(factors: readonly tf.Tensor2D[], complex: boolean, weight: number): tf.Scalar {
  let reg = n3Penalty(factors[0], complex);
  for (let i = 1; i < factors.length; i++) reg = tf.add(reg, n3Penalty(factors[i], complex)) as tf.Scalar;
  return tf.mul(weight, reg) as tf.Scalar;
}
