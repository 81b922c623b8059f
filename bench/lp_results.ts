/**
 * The link-prediction results table of the README: trains each structural scorer with its
 * preset on a dataset for several seeds and writes a Markdown table of test MRR / H@1 / H@3 /
 * H@10 (filtered, realistic ranks; mean +- sample std over seeds) next to the IMML paper's
 * Table II.
 *
 *   node dist/bench/lp_results.js --dataset wn9-img --seeds 1,2,3 [--models transe,...] [--epochs N] [--dim D]
 *
 * Runs go to runs/results/<dataset>/<model>-s<seed>; a finished run (metrics.json present) is
 * reused (continued when --epochs grows; refused under other settings), an unfinished one continues
 * from its checkpoint, so the script can be stopped and restarted (see trainOrReuse).
 */
import * as path from 'node:path';
import { std, mean } from 'mathjs';
import { resolveConfig, trainOrReuse, type RunMetrics } from '../src/app/run';
import { writeFileAtomic } from '../src/atomic';
import { PAPER_TABLE2 } from '../eval/paper_table2';
import type { RunConfig } from '../src/app/run_config';
import { flag } from '../src/app/flags';

const KEYS = ['mrr', 'hits@1', 'hits@3', 'hits@10'] as const;

function cell(values: number[]): string {
  const m = mean(values) as number;
  const s = values.length > 1 ? (std(values) as unknown as number) : 0;
  return `${m.toFixed(3)} ± ${s.toFixed(3)}`;
}

async function main(): Promise<void> {
  const dataset = flag('dataset', 'wn9-img') as 'wn9-img' | 'fb-img';
  const seeds = flag('seeds', '1,2,3').split(',').map(Number);
  const models = flag('models', 'transe,distmult,complex,rotate').split(',');
  const overrides: Partial<RunConfig> = {};
  if (flag('epochs', '')) overrides.epochs = Number(flag('epochs', ''));
  if (flag('dim', '')) overrides.dim = Number(flag('dim', ''));
  const rows: string[] = [];
  const notes: string[] = [];
  for (const model of models) {
    const runs: RunMetrics[] = [];
    let config: RunConfig | undefined;
    for (const seed of seeds) {
      const out = path.join('runs', 'results', dataset, `${model}-s${seed}`);
      config = resolveConfig({}, { dataset, model, seed, out, ...overrides });
      const made = await trainOrReuse(config, (m) => console.error(`[${model} s${seed}] ${m}`));
      runs.push(made.metrics);
      config = made.config;
    }
    const paper = PAPER_TABLE2[dataset][model];
    const ours = KEYS.map((k) => cell(runs.map((r) => r.test.both[k])));
    const deltaMrr = (mean(runs.map((r) => r.test.both.mrr)) as number) - paper[0];
    rows.push(`| ${model} | ${ours.join(' | ')} | ${paper.map((v) => v.toFixed(3)).join(' / ')} | ${deltaMrr >= 0 ? '+' : ''}${deltaMrr.toFixed(3)} |`);
    const c = config!;
    notes.push(`- ${model}: ${c.training}, loss ${c.loss}, dim ${c.dim}, ${c.optimizer} lr ${c.lr}, batch ${c.batchSize}, up to ${c.epochs} epochs ` +
      `(best epochs ${runs.map((r) => r.bestEpoch).join(', ')}), ${Math.round(mean(runs.map((r) => r.trainSeconds)) as number)} s training per seed`);
  }
  const table = [
    `### ${dataset}: test, filtered, realistic ranks, both directions; mean ± std over seeds ${seeds.join(', ')}; structure only (no image or text features)`,
    '',
    '| model | MRR | H@1 | H@3 | H@10 | paper MRR / H@1 / H@3 / H@10 | ΔMRR vs paper |',
    '|---|---|---|---|---|---|---:|',
    ...rows,
    '',
    ...notes,
    '',
  ].join('\n');
  const file = path.join('results', `${dataset}.md`);
  writeFileAtomic(file, table);
  console.log(table);
  console.error(`wrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
