/**
 * How much of a trained model's filtered error comes from reversed candidates (eval/reversed.ts),
 * per relation: for each run, the standard filtered metrics, the same ranking with the reversed
 * known triples filtered as well (a diagnostic: NOT the standard metric, never a results-table
 * entry), and per relation the share of queries that have a reversed candidate and both MRRs.
 * Reciprocal relations do not remove the effect for a symmetric scorer: each direction gets its
 * own vector, and the query is still symmetric within it. Running an asymmetric scorer (ComplEx)
 * through it shows what the extra filter does to a model that can tell the directions apart.
 *
 * Usage: node dist/bench/reverse_filter.js --run DIR [--run DIR ...] [--split test|valid]
 */
import * as path from 'node:path';
import { readJson } from '../src/atomic';
import { selectBackend } from '../src/backend';
import { selectDenseHead } from '../src/dense/select';
import { FilterIndex } from '../src/filter';
import { checkPartial } from '../src/app/run_config';
import { loadSavedModel, resolveConfig } from '../src/app/run';
import { checkDatasetAvailable } from '../src/app/dataset_home';
import { loadKgDataset } from '../kg-data/loader';
import { rankLinkPrediction } from '../eval/link_prediction';
import { summariseRanks, type LinkPredictionRanks } from '../eval/metrics';
import { realisticRank } from '../eval/ranks';
import { countReversedCandidates, reversedFilter } from '../eval/reversed';

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
  const widened = reversedFilter(nE, nR, knownSets);
  const engine = selectDenseHead(config.engine, () => undefined);
  const triples = dataset[split];
  const rankWith = (filter: FilterIndex) =>
    rankLinkPrediction({
      scorer: model.scorer, entities: model.entities, relations: model.relations, triples, filter,
      numEntities: nE, numRelations: nR, batchSize: config.evalBatchSize, workers: config.workers > 0 ? config.workers : undefined, engine,
    });
  const plain = await rankWith(known);
  const wide = await rankWith(widened);
  engine.dispose();
  const counts = countReversedCandidates(triples, known);

  const m = triples.length / 3;
  const standard = summariseRanks(plain, { count: m, seconds: 0, filtered: true });
  const diagnostic = summariseRanks(wide, { count: m, seconds: 0, filtered: true });
  const perRelation = new Map<number, { queries: number; withReversed: number; rr: number; rrWide: number }>();
  const total = { queries: 0, withReversed: 0 };
  for (let i = 0; i < m; i++) {
    const r = triples[3 * i + 1];
    const row = perRelation.get(r) ?? { queries: 0, withReversed: 0, rr: 0, rrWide: 0 };
    perRelation.set(r, row);
    for (const direction of ['head', 'tail'] as const) {
      const withReversed = +(counts[direction][i] > 0);
      row.queries++;
      row.withReversed += withReversed;
      row.rr += reciprocal(plain, direction, i);
      row.rrWide += reciprocal(wide, direction, i);
      total.queries++;
      total.withReversed += withReversed;
    }
  }
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  console.log(`\n## ${run}: ${config.model}, ${config.dataset} ${split}, ${m} triples, both directions`);
  console.log(`filtered MRR ${standard.both.mrr.toFixed(4)} (the standard metric), H@1 ${standard.both['hits@1'].toFixed(4)}`);
  console.log(`filtered + reversed known triples (diagnostic, not the standard metric): MRR ${diagnostic.both.mrr.toFixed(4)}, H@1 ${diagnostic.both['hits@1'].toFixed(4)}`);
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
