/**
 * The training graph of a dataset as a graphology MultiDirectedGraph, and the statistics computed
 * from it: degree statistics and per-relation mapping properties (tph/hpt, 1-1/1-N/N-1/N-N,
 * symmetry), plus the Bernoulli corruption probabilities of TransH derived from them.
 */
import { MultiDirectedGraph } from 'graphology';
import type { KgDataset } from '../src/kg';

/** Edge attributes: the relation id of the triple. */
export interface KgEdgeAttributes {
  relation: number;
}

/**
 * Training graph: one node per entity (key = entity id as a decimal string, so isolated entities
 * are present too) and one directed edge head -> tail per training triple (duplicates and self
 * loops kept), with the relation id as attribute.
 */
export type KgGraph = MultiDirectedGraph<Record<string, never>, KgEdgeAttributes>;

/**
 * Build the {@link KgGraph} of a flat triple array `[h0, r0, t0, h1, ...]` over `numEntities`
 * entities (ids 0..numEntities-1). Throws when an id is out of range.
 */
export function buildKgGraph(numEntities: number, triples: Int32Array): KgGraph {
  const graph: KgGraph = new MultiDirectedGraph<Record<string, never>, KgEdgeAttributes>();
  for (let e = 0; e < numEntities; e++) graph.addNode(String(e));
  for (let i = 0; i < triples.length; i += 3) {
    const h = triples[i];
    const t = triples[i + 2];
    if (h < 0 || h >= numEntities || t < 0 || t >= numEntities) {
      throw new Error(`triple ${i / 3} (${h}, ${triples[i + 1]}, ${t}) has an entity id outside 0..${numEntities - 1}`);
    }
    graph.addEdge(String(h), String(t), { relation: triples[i + 1] });
  }
  return graph;
}

/** The training graph of a dataset: {@link buildKgGraph} over all its entities and its train split. */
export function buildTrainGraph(dataset: KgDataset): KgGraph {
  return buildKgGraph(dataset.entities.length, dataset.train);
}

/** mean / median / max of a degree distribution over all entities. */
export interface DistributionSummary {
  readonly mean: number;
  readonly median: number;
  readonly max: number;
}

/** Degree statistics of a {@link KgGraph}; degrees count triples (parallel edges and self loops included). */
export interface DegreeStats {
  readonly entities: number;
  readonly edges: number;
  readonly outDegree: DistributionSummary;
  readonly inDegree: DistributionSummary;
  /** out + in degree. */
  readonly degree: DistributionSummary;
  /** Entities in no training triple (degree 0). */
  readonly isolated: number;
}

/** Degree statistics (mean, median, max of out-, in- and total degree; isolated entities). */
export function degreeStats(graph: KgGraph): DegreeStats {
  const n = graph.order;
  const outs = new Float64Array(n);
  const ins = new Float64Array(n);
  const all = new Float64Array(n);
  let i = 0;
  let isolated = 0;
  graph.forEachNode((node) => {
    outs[i] = graph.outDegree(node);
    ins[i] = graph.inDegree(node);
    all[i] = outs[i] + ins[i];
    if (all[i] === 0) isolated++;
    i++;
  });
  return { entities: n, edges: graph.size, outDegree: summarize(outs), inDegree: summarize(ins), degree: summarize(all), isolated };
}

/**
 * Mapping category of a relation after Bordes et al. (2013), threshold 1.5 on tph/hpt:
 * '1-1' (tph < 1.5, hpt < 1.5), '1-N' (tph >= 1.5, hpt < 1.5: one head, many tails),
 * 'N-1' (tph < 1.5, hpt >= 1.5), 'N-N' (both >= 1.5); 'unseen' for a relation absent from train.
 */
export type RelationCategory = '1-1' | '1-N' | 'N-1' | 'N-N' | 'unseen';

/** The categories in display order. */
export const RELATION_CATEGORIES: readonly RelationCategory[] = ['1-1', '1-N', 'N-1', 'N-N', 'unseen'];

/** Threshold on tph/hpt separating "1" from "N" (Bordes et al. 2013). */
export const CATEGORY_THRESHOLD = 1.5;

/** Per-relation statistics over the training graph. */
export interface RelationStats {
  /** Relation id. */
  readonly relation: number;
  /** Training triples with this relation (duplicates included). */
  readonly count: number;
  /** Distinct (head, tail) pairs. */
  readonly pairs: number;
  /** Distinct heads / distinct tails. */
  readonly heads: number;
  readonly tails: number;
  /** Average number of tails per head = pairs / heads (0 when unseen). */
  readonly tph: number;
  /** Average number of heads per tail = pairs / tails (0 when unseen). */
  readonly hpt: number;
  readonly category: RelationCategory;
  /** Share of distinct (h, r, t) whose reverse (t, r, h) is also in train (self loops count as symmetric). */
  readonly symmetricFraction: number;
}

/**
 * Statistics of every relation id 0..numRelations-1 over the training graph (array index =
 * relation id). tph/hpt use distinct (head, tail) pairs, so duplicated triples do not inflate
 * them; `count` includes duplicates. Relations without training triples get count 0, tph = hpt =
 * 0 and category 'unseen'.
 */
export function relationStats(graph: KgGraph, numRelations: number): RelationStats[] {
  const n = graph.order;
  const pairSets: Set<number>[] = Array.from({ length: numRelations }, () => new Set<number>());
  const headSets: Set<number>[] = Array.from({ length: numRelations }, () => new Set<number>());
  const tailSets: Set<number>[] = Array.from({ length: numRelations }, () => new Set<number>());
  const counts = new Int32Array(numRelations);
  graph.forEachEdge((_edge, attributes, source, target) => {
    const r = attributes.relation;
    if (r < 0 || r >= numRelations) throw new Error(`edge with relation id ${r} outside 0..${numRelations - 1}`);
    const h = Number(source);
    const t = Number(target);
    counts[r]++;
    pairSets[r].add(h * n + t);
    headSets[r].add(h);
    tailSets[r].add(t);
  });
  const out: RelationStats[] = [];
  for (let r = 0; r < numRelations; r++) {
    const pairs = pairSets[r].size;
    const heads = headSets[r].size;
    const tails = tailSets[r].size;
    let symmetric = 0;
    for (const key of pairSets[r]) {
      const h = Math.floor(key / n);
      const t = key - h * n;
      if (pairSets[r].has(t * n + h)) symmetric++;
    }
    const tph = heads > 0 ? pairs / heads : 0;
    const hpt = tails > 0 ? pairs / tails : 0;
    out.push({
      relation: r,
      count: counts[r],
      pairs,
      heads,
      tails,
      tph,
      hpt,
      category: pairs === 0 ? 'unseen' : categoryOf(tph, hpt),
      symmetricFraction: pairs > 0 ? symmetric / pairs : 0,
    });
  }
  return out;
}

/** Category of a relation from its tph and hpt (see {@link RelationCategory}). */
export function categoryOf(tph: number, hpt: number): Exclude<RelationCategory, 'unseen'> {
  const manyTails = tph >= CATEGORY_THRESHOLD;
  const manyHeads = hpt >= CATEGORY_THRESHOLD;
  if (manyTails && manyHeads) return 'N-N';
  if (manyTails) return '1-N';
  if (manyHeads) return 'N-1';
  return '1-1';
}

/**
 * Bernoulli negative sampling (Wang et al. 2014, TransH): per relation, the probability of
 * corrupting the HEAD of a training triple, tph / (tph + hpt). For a 1-N relation (many tails
 * per head) heads are corrupted more often, which makes false negatives less likely. Relations
 * unseen in train get 0.5. Index = relation id.
 */
export function bernoulliHeadProbabilities(stats: readonly RelationStats[]): Float32Array {
  const p = new Float32Array(stats.length);
  for (let r = 0; r < stats.length; r++) {
    const { tph, hpt } = stats[r];
    p[r] = tph + hpt > 0 ? tph / (tph + hpt) : 0.5;
  }
  return p;
}

function summarize(values: Float64Array): DistributionSummary {
  if (values.length === 0) return { mean: 0, median: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const m = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { mean: sum / sorted.length, median, max: sorted[sorted.length - 1] };
}
