/**
 * In-memory knowledge graph: integer ids for entities and relations, triples as flat
 * Int32Arrays `[h0, r0, t0, h1, r1, t1, ...]` (always head, relation, tail order in memory,
 * whatever the column order of the files).
 */
export interface KgDataset {
  /** Registry key or path the dataset was loaded from. */
  readonly name: string;
  /** id -> entity key (e.g. Freebase mid or WordNet synset id). */
  readonly entities: readonly string[];
  /** id -> relation key. */
  readonly relations: readonly string[];
  readonly entityIndex: ReadonlyMap<string, number>;
  readonly relationIndex: ReadonlyMap<string, number>;
  readonly train: Int32Array;
  readonly valid: Int32Array;
  readonly test: Int32Array;
  /** Human-readable entity names where the dataset has them (same order as `entities`). */
  readonly entityNames?: readonly string[];
}

export type SplitName = 'train' | 'valid' | 'test';
