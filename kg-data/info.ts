/**
 * Dataset summary for `mmkge info DATASET`: split sizes, duplicates, valid/test entities and
 * relations unseen in train, degree statistics of the training graph, relation categories and
 * the most frequent relations.
 */
import type { KgDataset, SplitName } from '../src/kg';
import { buildTrainGraph, degreeStats, relationStats, RELATION_CATEGORIES, type DegreeStats, type RelationCategory, type RelationStats } from './graph';
import type { LoadedKgDataset } from './loader';

/** Per-split counts. */
export interface SplitSummary {
  readonly split: SplitName;
  readonly triples: number;
  /** Triples equal to an earlier triple of the same split (kept by the loader). */
  readonly duplicates: number;
  /** Distinct entities used by the split. */
  readonly entities: number;
  /** Distinct relations used by the split. */
  readonly relations: number;
  /** Distinct entities of this split that never occur in train (0 for train). */
  readonly unseenEntities: number;
  /** Distinct relations of this split that never occur in train (0 for train). */
  readonly unseenRelations: number;
  /** Triples of this split with an entity or relation unseen in train (0 for train). */
  readonly triplesWithUnseen: number;
  /** Triples of this split that are also training triples (leakage; 0 for train). */
  readonly alsoInTrain: number;
}

/** Everything {@link formatDatasetInfo} prints, as data. */
export interface DatasetSummary {
  readonly name: string;
  readonly entities: number;
  readonly relations: number;
  readonly splits: readonly SplitSummary[];
  readonly degrees: DegreeStats;
  readonly relationStats: readonly RelationStats[];
  /** Per category: number of relations and of train/test triples. */
  readonly categories: readonly { category: RelationCategory; relations: number; train: number; test: number }[];
}

/** Compute the {@link DatasetSummary} of a dataset (builds the training graph; FB-IMG takes about a second). */
export function summarizeDataset(dataset: KgDataset): DatasetSummary {
  const numEntities = dataset.entities.length;
  const numRelations = dataset.relations.length;
  const trainKeys = tripleKeySet(dataset.train, numEntities, numRelations);
  const trainEntities = new Uint8Array(numEntities);
  const trainRelations = new Uint8Array(numRelations);
  for (let i = 0; i < dataset.train.length; i += 3) {
    trainEntities[dataset.train[i]] = 1;
    trainRelations[dataset.train[i + 1]] = 1;
    trainEntities[dataset.train[i + 2]] = 1;
  }
  const splits: SplitSummary[] = (['train', 'valid', 'test'] as const).map((split) => {
    const triples = dataset[split];
    const isTrain = split === 'train';
    const seen = new Set<number>();
    const ents = new Set<number>();
    const rels = new Set<number>();
    const unseenEnts = new Set<number>();
    const unseenRels = new Set<number>();
    let duplicates = 0;
    let triplesWithUnseen = 0;
    let alsoInTrain = 0;
    for (let i = 0; i < triples.length; i += 3) {
      const h = triples[i];
      const r = triples[i + 1];
      const t = triples[i + 2];
      const key = tripleKey(h, r, t, numEntities, numRelations);
      if (seen.has(key)) duplicates++;
      else seen.add(key);
      ents.add(h);
      ents.add(t);
      rels.add(r);
      if (isTrain) continue;
      if (trainKeys.has(key)) alsoInTrain++;
      let unseen = false;
      for (const e of [h, t]) {
        if (!trainEntities[e]) {
          unseenEnts.add(e);
          unseen = true;
        }
      }
      if (!trainRelations[r]) {
        unseenRels.add(r);
        unseen = true;
      }
      if (unseen) triplesWithUnseen++;
    }
    return {
      split,
      triples: triples.length / 3,
      duplicates,
      entities: ents.size,
      relations: rels.size,
      unseenEntities: unseenEnts.size,
      unseenRelations: unseenRels.size,
      triplesWithUnseen,
      alsoInTrain,
    };
  });
  const graph = buildTrainGraph(dataset);
  const stats = relationStats(graph, numRelations);
  const categories = RELATION_CATEGORIES.map((category) => {
    let relations = 0;
    let train = 0;
    for (const s of stats) {
      if (s.category !== category) continue;
      relations++;
      train += s.count;
    }
    let test = 0;
    for (let i = 1; i < dataset.test.length; i += 3) if (stats[dataset.test[i]].category === category) test++;
    return { category, relations, train, test };
  });
  return {
    name: dataset.name,
    entities: numEntities,
    relations: numRelations,
    splits,
    degrees: degreeStats(graph),
    relationStats: stats,
    categories,
  };
}

/** Options of {@link formatDatasetInfo}. */
export interface InfoOptions {
  /** How many relations to list, most frequent in train first (default 10). */
  top?: number;
}

/**
 * The text printed by `mmkge info DATASET` (plain text, fixed-width columns, ends with a newline).
 * Accepts a plain {@link KgDataset}; with a {@link LoadedKgDataset} it also prints the
 * directory and the citation of a registry dataset.
 */
export function formatDatasetInfo(dataset: KgDataset | LoadedKgDataset, options: InfoOptions = {}): string {
  const top = options.top ?? 10;
  const s = summarizeDataset(dataset);
  const lines: string[] = [];
  const loaded = 'directory' in dataset ? (dataset as LoadedKgDataset) : undefined;
  lines.push(`Dataset ${s.name}${loaded?.descriptor ? ` - ${loaded.descriptor.title}` : ''}`);
  if (loaded) lines.push(`  directory: ${loaded.directory} (columns ${loaded.columns})`);
  if (loaded?.descriptor) lines.push(`  cite: ${loaded.descriptor.citation}`);
  lines.push(`  entities: ${int(s.entities)}   relations: ${int(s.relations)}`);
  if (dataset.entityNames) {
    const unnamed = loaded ? loaded.unnamedEntities : 0;
    lines.push(`  entity names: yes${unnamed > 0 ? ` (${int(unnamed)} without a name)` : ''}`);
  }
  lines.push('');

  lines.push('Splits');
  lines.push(
    table(
      ['split', 'triples', 'duplicates', 'entities', 'relations', 'unseen ent.', 'unseen rel.', 'triples w/ unseen', 'also in train'],
      s.splits.map((p) => [
        p.split,
        int(p.triples),
        int(p.duplicates),
        int(p.entities),
        int(p.relations),
        p.split === 'train' ? '-' : int(p.unseenEntities),
        p.split === 'train' ? '-' : int(p.unseenRelations),
        p.split === 'train' ? '-' : int(p.triplesWithUnseen),
        p.split === 'train' ? '-' : int(p.alsoInTrain),
      ]),
    ),
  );
  lines.push('  (unseen = not in any training triple; duplicates are kept and counted)');
  lines.push('');

  const d = s.degrees;
  lines.push(`Training graph: ${int(d.entities)} nodes, ${int(d.edges)} edges, ${int(d.isolated)} isolated entities`);
  lines.push(
    table(
      ['degree', 'mean', 'median', 'max'],
      [
        ['out', fix(d.outDegree.mean), fix(d.outDegree.median, 1), int(d.outDegree.max)],
        ['in', fix(d.inDegree.mean), fix(d.inDegree.median, 1), int(d.inDegree.max)],
        ['total', fix(d.degree.mean), fix(d.degree.median, 1), int(d.degree.max)],
      ],
    ),
  );
  lines.push('');

  lines.push('Relation categories (Bordes et al. 2013; tph/hpt threshold 1.5)');
  const totalTest = s.splits[2].triples;
  lines.push(
    table(
      ['category', 'relations', 'train triples', 'test triples', 'test share'],
      s.categories
        .filter((c) => c.category !== 'unseen' || c.relations > 0)
        .map((c) => [c.category, int(c.relations), int(c.train), int(c.test), totalTest > 0 ? `${fix((100 * c.test) / totalTest, 2)}%` : '-']),
    ),
  );
  lines.push('');

  const ranked = [...s.relationStats].sort((a, b) => b.count - a.count || a.relation - b.relation).slice(0, top);
  lines.push(`Top ${ranked.length} relations by training triples`);
  lines.push(
    table(
      ['id', 'relation', 'train', 'tph', 'hpt', 'category', 'symmetric'],
      ranked.map((r) => [
        String(r.relation),
        shorten(dataset.relations[r.relation], 60),
        int(r.count),
        fix(r.tph),
        fix(r.hpt),
        r.category,
        `${fix(100 * r.symmetricFraction, 1)}%`,
      ]),
      [1, 5],
    ),
  );
  return `${lines.join('\n')}\n`;
}

/** Number of triples in `triples` equal to an earlier triple of the same array. */
export function countDuplicateTriples(triples: Int32Array, numEntities: number, numRelations: number): number {
  const seen = new Set<number>();
  let dup = 0;
  for (let i = 0; i < triples.length; i += 3) {
    const key = tripleKey(triples[i], triples[i + 1], triples[i + 2], numEntities, numRelations);
    if (seen.has(key)) dup++;
    else seen.add(key);
  }
  return dup;
}

/** Exact numeric key of a triple ((h * R + r) * E + t); safe while E * E * R < 2^53. */
function tripleKey(h: number, r: number, t: number, numEntities: number, numRelations: number): number {
  return (h * numRelations + r) * numEntities + t;
}

function tripleKeySet(triples: Int32Array, numEntities: number, numRelations: number): Set<number> {
  if (numEntities * numEntities * numRelations >= Number.MAX_SAFE_INTEGER) {
    throw new Error(`dataset too large for numeric triple keys (${numEntities} entities, ${numRelations} relations)`);
  }
  const set = new Set<number>();
  for (let i = 0; i < triples.length; i += 3) set.add(tripleKey(triples[i], triples[i + 1], triples[i + 2], numEntities, numRelations));
  return set;
}

/** Integer with thousands separators (locale independent). */
function int(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function fix(n: number, digits = 2): string {
  return n.toFixed(digits);
}

/** Keep the end of long relation paths (the specific part), marking the cut with '...'. */
function shorten(text: string, width: number): string {
  return text.length <= width ? text : `...${text.slice(text.length - width + 3)}`;
}

/** Fixed-width table with a two-space indent; columns listed in `left` are left aligned, the others right aligned. */
function table(header: string[], rows: string[][], left: readonly number[] = [0]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const fmt = (row: string[]): string =>
    `  ${row.map((cell, c) => (left.includes(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`.trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
