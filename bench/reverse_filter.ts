/**
 * How much of a trained model's filtered error comes from reversed candidates, per relation.
 *
 * For a tail query (h, r, ?) a reversed candidate is an entity x with (x, r, h) known true and
 * (h, r, x) not; for a head query (?, r, t), a y with (t, r, y) known true and (y, r, t) not.
 * A scorer symmetric in head and tail, such as DistMult (Yang et al. 2015, score
 * <h, r, t> = <t, r, h>), gives a reversed candidate exactly the score of a known true triple,
 * so on an antisymmetric relation (WordNet's _hypernym, _part_of, ...) it cannot put the
 * answer above it without also lowering the true triple's own score. Reciprocal relations do
 * not change this: each direction gets its own vector, and the query is still symmetric within
 * it.
 *
 * For each run this prints the standard filtered metrics, the same ranking with the reversed
 * known triples filtered as well (a diagnostic: it is NOT the standard metric and never goes in
 * a results table as one), and per relation the share of queries that have a reversed
 * candidate and both MRRs. Running an asymmetric scorer (ComplEx) through it shows what the
 * extra filter does to a model that can tell the directions apart.
 *
 * Usage: node dist/bench/reverse_filter.js --run DIR [--run DIR ...] [--split test|valid]
 */
import * as path from 'node:path';
import { readJson } from '../src/atomic';
import { selectBackend } from '../src/backend';
import { selectDenseHead } from '../src/dense/select';
import { FilterIndex } from '../src/filter';
import { checkPartial } from '../src/app/run_config';
import { evaluator, loadSavedModel, resolveConfig } from '../src/app/run';
import { checkDatasetAvailable } from '../src/app/dataset_home';
import { loadKgDataset } from '../kg-data/loader';
import { rankLinkPrediction } from '../eval/link_prediction';
import type { LinkPredictionRanks } from '../eval/metrics';
import { realisticRank } from '../eval/ranks';

interface Args {
  runs: string[];
  split: 'test' | 'valid';
}

function parseArgs(argv: string[]): Args {
  const runs: string[] = [];
  let split: 'test' | 'valid' = 'test';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--run' && value !== undefined) runs.push(value);
    else if (flag === '--split' && (value === 'test' || value === 'valid')) split = value;
    else throw new Error(`reverse_filter: unknown or incomplete argument '${flag}' (usage: --run DIR [--run DIR ...] [--split test|valid])`);
    i++;
  }
  if (runs.length === 0) throw new Error('reverse_filter: give at least one --run DIR');
  return { runs, split };
}

/** Copies of `tripleSets` with head and tail swapped. */
function reversed(tripleSets: readonly Int32Array[]): Int32Array[] {
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

/** Whether sorted `list` holds `value`. */
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
 * Number of reversed candidates of each query, per direction, in triple order (see the file
 * comment); the answer itself never counts.
 */
function reversedCandidates(triples: Int32Array, known: FilterIndex): { head: Int32Array; tail: Int32Array } {
  const m = triples.length / 3;
  const head = new Int32Array(m);
  const tail = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const h = triples[3 * i];
    const r = triples[3 * i + 1];
    const t = triples[3 * i + 2];
    // Tail query (h, r, ?): x with (x, r, h) known and (h, r, x) not.
    const tails = known.tails(h, r);
    for (const x of known.heads(r, h)) if (x !== t && !has(tails, x)) tail[i]++;
    // Head query (?, r, t): y with (t, r, y) known and (y, r, t) not.
    const heads = known.heads(r, t);
    for (const y of known.tails(t, r)) if (y !== h && !has(heads, y)) head[i]++;
  }
  return { head, tail };
}

function reciprocal(ranks: LinkPredictionRanks, direction: 'head' | 'tail', i: number): number {
  const d = ranks[direction]!;
  return 1 / realisticRank(d.optimistic[i], d.pessimistic[i]);
}

async function analyse(run: string, split: 'test' | 'valid'): Promise<void> {
  const configFile = path.join(run, 'config.json');
  const config = resolveConfig(checkPartial(readJson<Record<string, unknown>>(configFile), configFile), {});
  await checkDatasetAvailable(config.dataset);
  await selectBackend(config.backend, () => undefined);
  const dataset = await loadKgDataset(config.dataset, { columns: config.columns || undefined });
  const model = await loadSavedModel(run, config, dataset);
  const nE = dataset.entities.length;
  const nR = dataset.relations.length;
  const knownSets = [dataset.train, dataset.valid, dataset.test];
  const known = new FilterIndex(nE, nR, knownSets);
  const widened = new FilterIndex(nE, nR, [...knownSets, ...reversed(knownSets)]);
  const engine = selectDenseHead(config.engine, () => undefined);
  const triples = dataset[split];
  const rankWith = (filter: FilterIndex) =>
    rankLinkPrediction({
      scorer: model.scorer, entities: model.entities, relations: model.relations, triples, filter,
      numEntities: nE, numRelations: nR, batchSize: config.evalBatchSize, workers: config.workers > 0 ? config.workers : undefined, engine,
    });
  const standard = await evaluator(config, dataset, undefined, engine)(model.scorer, model.entities, model.relations, triples, known);
  const plain = await rankWith(known);
  const wide = await rankWith(widened);
  engine.dispose();
  const counts = reversedCandidates(triples, known);

  const m = triples.length / 3;
  const perRelation = new Map<number, { queries: number; withReversed: number; rr: number; rrWide: number }>();
  const total = { queries: 0, withReversed: 0, rr: 0, rrWide: 0 };
  for (let i = 0; i < m; i++) {
    const r = triples[3 * i + 1];
    const row = perRelation.get(r) ?? { queries: 0, withReversed: 0, rr: 0, rrWide: 0 };
    perRelation.set(r, row);
    for (const direction of ['head', 'tail'] as const) {
      for (const acc of [row, total]) {
        acc.queries++;
        acc.withReversed += +(counts[direction][i] > 0);
        acc.rr += reciprocal(plain, direction, i);
        acc.rrWide += reciprocal(wide, direction, i);
      }
    }
  }
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  console.log(`\n## ${run}: ${config.model}, ${config.dataset} ${split}, ${m} triples, both directions`);
  console.log(`filtered MRR ${standard.both.mrr.toFixed(4)} (the standard metric; recomputed here: ${(total.rr / total.queries).toFixed(4)}), H@1 ${standard.both['hits@1'].toFixed(4)}`);
  console.log(`filtered + reversed known triples (diagnostic, not the standard metric): MRR ${(total.rrWide / total.queries).toFixed(4)}`);
  console.log(`queries with at least one reversed candidate: ${total.withReversed} of ${total.queries} (${pct(total.withReversed, total.queries)})\n`);
  console.log('| relation | queries | with a reversed candidate | filtered MRR | + reversed filtered |');
  console.log('|---|---:|---:|---:|---:|');
  const rows = [...perRelation.entries()].sort((a, b) => b[1].queries - a[1].queries);
  for (const [r, row] of rows) {
    console.log(`| ${dataset.relations[r]} | ${row.queries} | ${pct(row.withReversed, row.queries)} | ${(row.rr / row.queries).toFixed(4)} | ${(row.rrWide / row.queries).toFixed(4)} |`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const run of args.runs) await analyse(run, args.split);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
