import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'fast-csv';
import type { RunConfig } from './run_config';
import { readJson } from '../atomic';
import { writeHeatmap } from '../../eval/heatmap';
import type { RunMetrics } from './run';

/** One cell of a gamma1 x gamma2 grid. */
export interface GridCell {
  gamma1: number;
  gamma2: number;
  validMrr: number;
  testMrr: number;
  run: string;
}

/** Parse a comma-separated list of positive numbers (errors name the flag). */
export function parseGridValues(flag: string, raw: string): number[] {
  const values = raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (values.length === 0 || values.some((v) => !(v >= 0) || !Number.isFinite(v))) throw new Error(`${flag}: expected comma-separated non-negative numbers, got '${raw}'`);
  return values;
}

/**
 * The gamma1 x gamma2 search of Fig. 4 of the IMML paper for link prediction: one IMML run per
 * pair (same seed and config otherwise), in `<out>/g1=<gamma1>,g2=<gamma2>`, reusing finished
 * runs. Writes `<out>/grid.csv` and two heat-maps: `grid-valid.svg` (the selection criterion,
 * valid filtered MRR) and `grid-test.svg`.
 */
export async function runGrid(
  base: RunConfig, gamma1s: number[], gamma2s: number[],
  train: (c: RunConfig) => Promise<RunMetrics>, log: (m: string) => void,
): Promise<GridCell[]> {
  const cells: GridCell[] = [];
  for (const g1 of gamma1s) {
    for (const g2 of gamma2s) {
      const run = path.join(base.out, `g1=${g1},g2=${g2}`);
      const metricsFile = path.join(run, 'metrics.json');
      let m: RunMetrics;
      if (fs.existsSync(metricsFile)) {
        m = readJson<RunMetrics>(metricsFile);
        log(`gamma1 ${g1}, gamma2 ${g2}: reusing ${run}`);
      } else {
        log(`gamma1 ${g1}, gamma2 ${g2}: training into ${run}`);
        m = await train({ ...base, imml: true, immlGamma1: g1, immlGamma2: g2, out: run });
      }
      cells.push({ gamma1: g1, gamma2: g2, validMrr: m.valid.both.mrr, testMrr: m.test.both.mrr, run });
    }
  }
  await writeGridCsv(path.join(base.out, 'grid.csv'), cells);
  const rowOrder = gamma1s.map(String);
  const colOrder = gamma2s.map(String);
  const title = `${base.model}+IMML on ${base.dataset}, seed ${base.seed}`;
  for (const split of ['valid', 'test'] as const) {
    await writeHeatmap(path.join(base.out, `grid-${split}.svg`), cells.map((c) => ({ row: String(c.gamma1), col: String(c.gamma2), value: split === 'valid' ? c.validMrr : c.testMrr })), {
      title: `${title}: ${split} filtered MRR`, rowTitle: 'gamma1 (L_mdke)', colTitle: 'gamma2 (L_beta)', valueTitle: `${split} MRR`, rowOrder, colOrder,
    });
  }
  return cells;
}

/** grid.csv: gamma1, gamma2, valid_mrr, test_mrr, run (written to a temp file, then renamed). */
async function writeGridCsv(file: string, cells: GridCell[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await new Promise<void>((resolve, reject) => {
    const out = fs.createWriteStream(tmp);
    const csv = format({ headers: ['gamma1', 'gamma2', 'valid_mrr', 'test_mrr', 'run'] });
    csv.pipe(out).on('finish', resolve).on('error', reject);
    for (const c of cells) csv.write([c.gamma1, c.gamma2, c.validMrr.toFixed(6), c.testMrr.toFixed(6), c.run]);
    csv.end();
  });
  fs.renameSync(tmp, file);
}
