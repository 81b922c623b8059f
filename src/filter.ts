/**
 * Filter index for filtered ranking (Bordes et al. 2013): every known true triple
 * (train + valid + test) so that other true answers are not counted as errors.
 * Answers are kept sorted, keyed by (h, r) for tails and (r, t) for heads.
 */
export class FilterIndex {
  private readonly tailMap = new Map<number, Int32Array>();
  private readonly headMap = new Map<number, Int32Array>();
  private static readonly EMPTY = new Int32Array(0);

  constructor(readonly numEntities: number, readonly numRelations: number, tripleSets: readonly Int32Array[]) {
    const tails = new Map<number, number[]>();
    const heads = new Map<number, number[]>();
    for (const triples of tripleSets) {
      for (let i = 0; i < triples.length; i += 3) {
        const h = triples[i];
        const r = triples[i + 1];
        const t = triples[i + 2];
        push(tails, h * numRelations + r, t);
        push(heads, r * numEntities + t, h);
      }
    }
    for (const [k, v] of tails) this.tailMap.set(k, uniqueSorted(v));
    for (const [k, v] of heads) this.headMap.set(k, uniqueSorted(v));
  }

  /** All known true tails of (h, r, ?), sorted ascending. */
  tails(h: number, r: number): Int32Array {
    return this.tailMap.get(h * this.numRelations + r) ?? FilterIndex.EMPTY;
  }

  /** All known true heads of (?, r, t), sorted ascending. */
  heads(r: number, t: number): Int32Array {
    return this.headMap.get(r * this.numEntities + t) ?? FilterIndex.EMPTY;
  }
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function uniqueSorted(values: number[]): Int32Array {
  const sorted = Int32Array.from(values).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i];
  return sorted.slice(0, n);
}
