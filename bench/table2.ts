/**
 * Table II of the IMML paper on our data: trains every row (TransE ... OTKGE, OTKGE+IMML) with its
 * preset for several seeds and writes a Markdown table of test MRR / H@1 / H@3 / H@10 (filtered,
 * realistic ranks, both directions; mean ± sample std over seeds) next to the paper's values, the
 * modalities each row used, and the Student t-test of OTKGE+IMML against OTKGE over seeds.
 *
 *   node dist/bench/table2.js --dataset wn9-img [--seeds 1,2,3] [--rows transe,...,otkge+imml]
 *                             [--epochs N] [--dim D] [--gamma1 G1] [--gamma2 G2] [--tag NAME]
 *                             [--set key=value,key=value]   (any config key, checked by its schema;
 *                                                            `{seed}` in a value becomes each run's seed)
 *
 * Runs go to runs/results/<dataset>[-<tag>]/<row>-s<seed>; a finished run (metrics.json present) is
 * reused (continued when --epochs grows; refused under other settings), an unfinished one continues
 * from its checkpoint, so the script can be stopped and restarted (see trainOrReuse). The table
 * goes to results/table2-<dataset>[-<tag>].md.
 */
import * as path from 'node:path';
import { resolveConfig, trainOrReuse, type RunMetrics } from '../src/app/run';
import { writeFileAtomic } from '../src/atomic';
import { formatMeanStd, mean, studentTTest } from '../eval/stats';
import { PAPER_TABLE2 } from '../eval/paper_table2';
import { isConfigKey, parseValue, type RunConfig } from '../src/app/run_config';
import { flag } from '../src/app/flags';

/** A row of Table II: a model, with or without the IMML plug-in. */
export interface Table2Row {
  key: string;
  label: string;
  model: string;
  imml: boolean;
}

export const TABLE2_ROWS: Table2Row[] = [
  { key: 'transe', label: 'TransE', model: 'transe', imml: false },
  { key: 'distmult', label: 'DistMult', model: 'distmult', imml: false },
  { key: 'complex', label: 'ComplEx', model: 'complex', imml: false },
  { key: 'rotate', label: 'RotatE', model: 'rotate', imml: false },
  { key: 'transae', label: 'TransAE', model: 'transae', imml: false },
  { key: 'ikrl', label: 'IKRL', model: 'ikrl', imml: false },
  { key: 'tbkge', label: 'TBKGE', model: 'tbkge', imml: false },
  { key: 'mmkrl', label: 'MMKRL', model: 'mmkrl', imml: false },
  { key: 'otkge', label: 'OTKGE', model: 'otkge', imml: false },
  { key: 'otkge+imml', label: 'OTKGE+IMML', model: 'otkge', imml: true },
];

const KEYS = ['mrr', 'hits@1', 'hits@3', 'hits@10'] as const;

/** The overrides of one seed: `{seed}` in a string value (`initFrom=runs/.../transe-s{seed}`) becomes the seed. */
function withSeed(overrides: Partial<RunConfig>, seed: number): Partial<RunConfig> {
  const entries = Object.entries(overrides).map(([k, v]) => [k, typeof v === 'string' ? v.split('{seed}').join(String(seed)) : v]);
  return Object.fromEntries(entries) as Partial<RunConfig>;
}

/** Train (or reuse) every seed of a row. */
async function runRow(dataset: string, row: Table2Row, seeds: number[], overrides: Partial<RunConfig>, dir: string): Promise<{ runs: RunMetrics[]; config: RunConfig }> {
  const runs: RunMetrics[] = [];
  let config: RunConfig | undefined;
  for (const seed of seeds) {
    // Structural rows share their runs with `npm run results:lp` (runs/results/<dataset>/<model>-s<seed>).
    const out = path.join(dir, `${row.key}-s${seed}`);
    config = resolveConfig({}, { dataset, model: row.model, imml: row.imml, seed, out, ...withSeed(overrides, seed) });
    const made = await trainOrReuse(config, (m) => console.error(`[${row.key} s${seed}] ${m}`));
    runs.push(made.metrics);
    config = made.config;
  }
  return { runs, config: config! };
}

function modalitiesOf(runs: RunMetrics[]): string {
  const m = runs[0].modalities ?? ['structure'];
  return m.map((x) => x.replace(/ \(.*[\\/]([^\\/]+)\)$/, ' ($1)')).join(' + ');
}

async function main(): Promise<void> {
  const dataset = flag('dataset', 'wn9-img') as 'wn9-img' | 'fb-img';
  const seeds = flag('seeds', '1,2,3').split(',').map(Number);
  const wanted = flag('rows', TABLE2_ROWS.map((r) => r.key).join(',')).split(',');
  const tag = flag('tag', '');
  const overrides: Partial<RunConfig> = {};
  if (flag('epochs', '')) overrides.epochs = Number(flag('epochs', ''));
  if (flag('dim', '')) overrides.dim = Number(flag('dim', ''));
  // IMML weights for the +IMML rows (the other rows ignore them).
  if (flag('gamma1', '')) overrides.immlGamma1 = Number(flag('gamma1', ''));
  if (flag('gamma2', '')) overrides.immlGamma2 = Number(flag('gamma2', ''));
  for (const pair of flag('set', '').split(',').filter((x) => x !== '')) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : pair;
    if (!isConfigKey(key)) throw new Error(`--set: unknown config key '${key}' in '${pair}'`);
    (overrides as Record<string, unknown>)[key] = parseValue(key, eq > 0 ? pair.slice(eq + 1) : '');
  }
  const dir = path.join('runs', 'results', tag ? `${dataset}-${tag}` : dataset);
  const rows: string[] = [];
  const notes: string[] = [];
  const byKey = new Map<string, RunMetrics[]>();
  const file = path.join('results', `table2-${dataset}${tag ? '-' + tag : ''}.md`);
  for (const key of wanted) {
    const row = TABLE2_ROWS.find((r) => r.key === key);
    if (!row) throw new Error(`--rows: unknown row '${key}' (known: ${TABLE2_ROWS.map((r) => r.key).join(', ')})`);
    const { runs, config: c } = await runRow(dataset, row, seeds, overrides, dir);
    byKey.set(key, runs);
    const paper = PAPER_TABLE2[dataset][row.key];
    const ours = KEYS.map((k) => formatMeanStd(runs.map((r) => r.test.both[k])));
    const delta = mean(runs.map((r) => r.test.both.mrr)) - paper[0];
    rows.push(`| ${row.label} | ${modalitiesOf(runs)} | ${ours.join(' | ')} | ${paper.map((v) => v.toFixed(3)).join(' / ')} | ${delta >= 0 ? '+' : ''}${delta.toFixed(3)} |`);
    notes.push(
      `- ${row.label}: ${c.training}, loss ${c.loss}, dim ${c.dim}, ${c.optimizer} lr ${c.lr}, batch ${c.batchSize}, up to ${c.epochs} epochs ` +
        `(best epochs ${runs.map((r) => r.bestEpoch).join(', ')}), ${Math.round(mean(runs.map((r) => r.trainSeconds)))} s training per seed` +
        (row.imml ? `; IMML gamma1 ${c.immlGamma1}, gamma2 ${c.immlGamma2}, Beta(${c.immlAlpha}, ${c.immlBeta}), N ${c.immlPartners}, tau ${c.immlTemperature}, L_beta on ${c.immlBetaFraction * 100}% of each batch, L_mdke on up to ${c.immlMdkeRows || 'all'} anchors` : ''),
    );
    // Written after every row, so a long run leaves a usable partial table.
    writeFileAtomic(file, render(dataset, seeds, rows, notes, byKey));
  }
  const table = render(dataset, seeds, rows, notes, byKey);
  writeFileAtomic(file, table);
  console.log(table);
  console.error(`wrote ${file}`);
}

function render(dataset: 'wn9-img' | 'fb-img', seeds: number[], rows: string[], notes: string[], byKey: Map<string, RunMetrics[]>): string {
  const lines = [
    `### Table II on ${dataset}: test, filtered, realistic ranks, both directions; mean ± std over seeds ${seeds.join(', ')}`,
    '',
    'The modality column names what each row used (files in the data home); the paper used structure + image + text for its multimodal rows.',
    '',
    '| model | modalities | MRR | H@1 | H@3 | H@10 | paper MRR / H@1 / H@3 / H@10 (structure + image + text) | ΔMRR vs paper |',
    '|---|---|---|---|---|---|---|---:|',
    ...rows,
    '',
  ];
  const base = byKey.get('otkge');
  const withImml = byKey.get('otkge+imml');
  if (base && withImml) {
    lines.push('**Does IMML improve OTKGE here?** Student t-test (two-sided, equal variances) over seeds, OTKGE+IMML vs OTKGE:', '');
    lines.push(...tTestTable('OTKGE', base, 'OTKGE+IMML', withImml), '');
  }
  lines.push(...notes, '');
  return lines.join('\n');
}

/**
 * Markdown rows of the Student t-test (two-sided, equal variances) of run set `b` against run set
 * `a` over seeds, on each test metric (filtered, both directions); `digits` for the mean ± std cells.
 */
export function tTestTable(labelA: string, a: readonly RunMetrics[], labelB: string, b: readonly RunMetrics[], digits = 3): string[] {
  const lines = [`| metric | ${labelA} | ${labelB} | difference | t | p |`, '|---|---|---|---:|---:|---:|'];
  for (const k of KEYS) {
    const xb = b.map((r) => r.test.both[k]);
    const xa = a.map((r) => r.test.both[k]);
    const t = studentTTest(xb, xa);
    const diff = mean(xb) - mean(xa);
    lines.push(`| ${k} | ${formatMeanStd(xa, digits)} | ${formatMeanStd(xb, digits)} | ${diff >= 0 ? '+' : ''}${diff.toFixed(4)} | ${Number.isFinite(t.t) ? t.t.toFixed(2) : 'n/a'} | ${Number.isFinite(t.p) ? t.p.toPrecision(2) : 'n/a'} |`);
  }
  return lines;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
