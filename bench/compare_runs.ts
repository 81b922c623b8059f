/**
 * Compares two sets of finished runs seed by seed: each run's best epoch, test MRR and valid MRR
 * per evaluation (from loss.csv), then the Student t-test of set B against set A on the test
 * metrics. Used for comparisons that `table2` does not make itself (e.g. with vs without images).
 *
 *   node dist/bench/compare_runs.js --a DIR:ROW --b DIR:ROW [--seeds 1,2,3]
 *
 * DIR is a table2 run folder (runs/results/<dataset>[-<tag>]) and ROW a row key (otkge, otkge+imml, ...).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../src/atomic';
import type { RunMetrics } from '../src/app/run';
import { readLossCurve } from '../src/train/loss_curve';
import { tTestTable } from './table2';
import { flag } from '../src/app/flags';

interface Run {
  dir: string;
  metrics: RunMetrics;
  validCurve: number[];
}

function loadSet(spec: string, seeds: number[]): Run[] {
  const [dir, row] = spec.split(':');
  if (!dir || !row) throw new Error(`compare_runs: "${spec}" is not DIR:ROW`);
  return seeds.map((seed) => {
    const runDir = path.join(dir, `${row}-s${seed}`);
    const file = path.join(runDir, 'metrics.json');
    if (!fs.existsSync(file)) throw new Error(`compare_runs: ${file} is missing (run not finished?)`);
    const validCurve = readLossCurve(path.join(runDir, 'loss.csv')).flatMap((r) => (r.validMrr === null ? [] : [r.validMrr]));
    return { dir: runDir, metrics: readJson<RunMetrics>(file), validCurve };
  });
}

function main(): void {
  const seeds = flag('seeds', '1,2,3').split(',').map(Number);
  const a = loadSet(flag('a'), seeds);
  const b = loadSet(flag('b'), seeds);
  for (const run of [...a, ...b]) {
    console.log(`${run.dir}: best epoch ${run.metrics.bestEpoch}, test MRR ${run.metrics.test.both.mrr.toFixed(4)}, valid MRR ${run.validCurve.map((v) => v.toFixed(4)).join(' ')}`);
  }
  console.log('');
  console.log(tTestTable(flag('a'), a.map((r) => r.metrics), flag('b'), b.map((r) => r.metrics), 4).join('\n'));
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
