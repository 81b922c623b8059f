import type { SparseOptimizer } from '../optim';

/**
 * Embedding regularisers applied to the rows a batch uses, one occurrence per use (as in
 * PyKEEN's LpRegularizer and kbc's N3): penalty = weight / B * sum over used rows of f(row).
 * - `l2`: f(x) = sum_k x_k^2
 * - `n3`: f(x) = sum_k |x_k|^3, with |x_k| the modulus of a complex coordinate when the table
 *   holds [re | im] halves (Lacroix et al. 2018, "Canonical Tensor Decomposition for KB completion").
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
