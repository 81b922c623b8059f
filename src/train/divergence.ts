/**
 * Divergence detection for the training loop. A loss that is NaN/Inf is caught at once; an
 * exploding loss (a too large --lr drives losses to 1e15..1e30 while MRR drops to chance) is
 * caught when a batch loss exceeds {@link EXPLOSION_FACTOR} times its running minimum.
 *
 * The running minimum is floored at 1e-3 of the first positive batch loss, because losses such
 * as the margin loss legitimately reach 0: without the floor any later positive loss would be an
 * "explosion". Every loss here is non-negative, so a negative or NaN reference never arises.
 */
export const EXPLOSION_FACTOR = 1e6;
const FLOOR = 1e-3;

export class DivergenceGuard {
  private min = Infinity;
  private first = 0;

  /** Record one batch loss; returns what is wrong (for the message) or undefined. */
  check(loss: number): string | undefined {
    if (!Number.isFinite(loss)) return `loss is ${loss}`;
    if (this.first === 0 && loss > 0) this.first = loss;
    const reference = Math.max(this.min, FLOOR * this.first);
    if (this.first > 0 && loss > EXPLOSION_FACTOR * reference) {
      return `loss ${loss.toExponential(3)} exploded (over ${EXPLOSION_FACTOR.toExponential(0)} times its running minimum ${reference.toExponential(3)})`;
    }
    if (loss < this.min) this.min = loss;
    return undefined;
  }
}

/** The first NaN/Inf entry of some named arrays, or undefined when all are finite. */
export function firstNonFinite(arrays: Readonly<Record<string, Float32Array>>): { name: string; index: number; value: number } | undefined {
  for (const [name, a] of Object.entries(arrays)) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return { name, index: i, value: a[i] };
  }
  return undefined;
}
