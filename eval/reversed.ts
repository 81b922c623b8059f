/**
 * Reversed candidates: the error a scorer symmetric in head and tail cannot avoid.
 *
 * For a tail query (h, r, ?) a reversed candidate is an entity x with (x, r, h) known true and
 * (h, r, x) not; for a head query (?, r, t), a y with (t, r, y) known true and (y, r, t) not.
 * DistMult (Yang et al. 2015, <h, r, t> = <t, r, h>) gives such a candidate exactly the score of
 * a known true triple. Filtering the reversed known triples as well (`reversedFilter`) measures
 * how much of a model's filtered error they make up: a diagnostic, never the standard metric.
 */
import { FilterIndex } from '../src/filter';

/** Copies of `tripleSets` (flat [h, r, t, ...]) with head and tail swapped. */
export function reversedTriples(tripleSets: readonly Int32Array[]): Int32Array[] {
  return tripleSets.map((triples) => {
    const out = new Int32Array(triples.length);
    for (let i = 0; i < triples.length; i += 3) {
      out[i] = triples[i + 2];
      out[i + 1] = triples[i + 1];
      out[i + 2] = triples[i];
    }
    return out;
  });
}

/** A filter of the known triples and of their reversals (see the file comment). */
export function reversedFilter(numEntities: number, numRelations: number, known: readonly Int32Array[]): FilterIndex {
  return new FilterIndex(numEntities, numRelations, [...known, ...reversedTriples(known)]);
}

/** Whether ascending `list` holds `value`. */
function has(list: Int32Array, value: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] === value) return true;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * The number of reversed candidates of each query of `triples`, per direction, in triple order;
 * the query's own answer never counts.
 */
export function countReversedCandidates(triples: Int32Array, known: FilterIndex): { head: Int32Array; tail: Int32Array } {
  const m = triples.length / 3;
  const head = new Int32Array(m);
  const tail = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const h = triples[3 * i];
    const r = triples[3 * i + 1];
    const t = triples[3 * i + 2];
    const tails = known.tails(h, r);
    for (const x of known.heads(r, h)) if (x !== t && !has(tails, x)) tail[i]++;
    const heads = known.heads(r, t);
    for (const y of known.tails(t, r)) if (y !== h && !has(heads, y)) head[i]++;
  }
  return { head, tail };
}
