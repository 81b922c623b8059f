/**
 * `npm run bench`: speed of the hot paths on this machine (never timed in tests).
 *
 *   node dist/bench/bench.js [--part train|cli|eval|1vsall|otkge|cls|all] [--quick] [--models transe,distmult,...]
 *
 * - train:  negative-sampling training throughput (positive triples/s, 1 uniform negative each,
 *           margin loss, sparse Adagrad) on the real FB-IMG training triples, dim 200, batch 1024,
 *           for every built-in scorer, with the fused kernel; TransE also through tfjs autodiff.
 * - 1vsall: seconds per epoch of 1-vs-all ComplEx/DistMult (kbc recipe) on WN9-IMG, extrapolated
 *           from the first batches.
 * - eval:   filtered evaluation of the whole FB-IMG test set (34,863 triples, heads and tails,
 *           dim 200) per scorer, with peak RSS.
 * - cls:    seconds per epoch of QMF and QMF+IMML on HFM (100-d BoW), and QMF+IMML with the cheap
 *           L_mdke setting (64 samples, 64-d heads).
 * - otkge: seconds per epoch of OTKGE with and without IMML on WN9-IMG and FB-IMG (text features,
 *           dim 200 and the paper's rank 500 on WN9-IMG), extrapolated from timed batches.
 * - cli:    `mmkge train` throughput as a user sees it (metrics.json): TransE-L1 on FB-IMG against the
 *           PyTorch CPU reference (bench/reference/transe_torch.py, 1 and 2 threads), and IKRL,
 *           TBKGE, TransAE, MMKRL on WN9-IMG against TransE with the same negatives and batch.
 * Results are printed as a Markdown table with the machine's description and written to
 * bench/results.json.
 */
import * as path from 'node:path';
import { selectBackend } from '../src/backend';
import { Rng } from '../src/rng';
import { FilterIndex } from '../src/filter';
import { createLoss } from '../src/losses';
import { createOptimizer } from '../src/optim';
import { NegativeSampler } from '../src/sampling';
import { createTables } from '../src/train/model';
import { NegativeSamplingStep } from '../src/train/negative_sampling';
import { OneVsAllStep } from '../src/train/one_vs_all';
import { machineDescription } from '../src/run';
import { writeJsonAtomic } from '../src/atomic';
import { loadKgDataset } from '../kg-data/loader';
import { createScorer } from '../baselines/kg/registry';
import { evaluateLinkPrediction } from '../eval/link_prediction';
import type { Scorer, ScorerOptions } from '../src/scorer';
import type { KgDataset } from '../src/kg';
import { loadDatasetModalities } from '../kg-data/features';
import { otkgeEpochSeconds, tailQueries } from './otkge_bench';
import { runClsBench } from './cls_bench';
import { runTrainCliBench } from './train_cli_bench';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const QUICK = process.argv.includes('--quick');

const VARIANTS: Record<string, ScorerOptions & { model: string }> = {
  'transe-l1': { model: 'transe', dim: 200, norm: 1 },
  'transe-l2': { model: 'transe', dim: 200, norm: 2 },
  distmult: { model: 'distmult', dim: 200 },
  complex: { model: 'complex', dim: 200 },
  rotate: { model: 'rotate', dim: 200 },
};

function scorerOf(name: string): Scorer {
  const { model, ...opts } = VARIANTS[name];
  return createScorer(model, opts);
}

/** Positive triples per second of negative-sampling training. */
function trainThroughput(ds: KgDataset, name: string, useKernel: boolean): number {
  const scorer = scorerOf(name);
  const nE = ds.entities.length;
  const nR = ds.relations.length;
  const rng = new Rng(1);
  const tables = createTables(scorer, nE, nR, rng.derive('init'), 0);
  const B = 1024;
  const step = new NegativeSamplingStep({
    scorer, tables, loss: createLoss('margin', { margin: 1 }),
    sampler: new NegativeSampler(nE, 1, 'uniform', undefined, rng.derive('sampler')), negatives: 1,
    entityOptimizer: createOptimizer('adagrad', nE, scorer.entityWidth, { lr: 0.01 }),
    relationOptimizer: createOptimizer('adagrad', nR, scorer.relationWidth, { lr: 0.01 }),
    regularizer: 'none', regWeight: 0, complexEntities: false, complexRelations: false, useKernel,
  });
  const train = ds.train;
  const batches = Math.min(train.length / 3 / B, useKernel ? (QUICK ? 60 : 279) : QUICK ? 5 : 20);
  const batch = new Int32Array(3 * B);
  step.run(train.subarray(0, 3 * B), B); // warm-up (JIT)
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    batch.set(train.subarray(3 * B * b, 3 * B * (b + 1)));
    step.run(batch, B);
  }
  return (batches * B) / ((performance.now() - t0) / 1000);
}

/** Seconds per 1-vs-all epoch (reciprocal, batch 1000, N3) extrapolated from a few batches. */
function oneVsAllEpochSeconds(ds: KgDataset, model: string, dim: number): number {
  const scorer = createScorer(model, { dim, initStd: 1e-3 });
  const nE = ds.entities.length;
  const nR = 2 * ds.relations.length;
  const tables = createTables(scorer, nE, nR, new Rng(1), 1e-3);
  const step = new OneVsAllStep({
    scorer, tables, mode: '1vsall', loss: 'ce', labelSmoothing: 0,
    entityOptimizer: createOptimizer('adagrad', nE, scorer.entityWidth, { lr: 0.1 }),
    relationOptimizer: createOptimizer('adagrad', nR, scorer.relationWidth, { lr: 0.1 }),
    regularizer: 'n3', regWeight: 5e-3, complexEntities: scorer.entityWidth === 2 * dim, complexRelations: scorer.relationWidth === 2 * dim,
  });
  const B = 1000;
  const q = tailQueries(ds.train, B);
  step.run(q);
  const reps = QUICK ? 2 : 5;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) step.run(q);
  const perBatch = (performance.now() - t0) / 1000 / reps;
  return (perBatch * (2 * ds.train.length / 3)) / B;
}

async function evalSeconds(ds: KgDataset, name: string): Promise<{ seconds: number; triples: number }> {
  const scorer = scorerOf(name);
  const nE = ds.entities.length;
  const nR = ds.relations.length;
  const tables = createTables(scorer, nE, nR, new Rng(2), 0);
  const filter = new FilterIndex(nE, nR, [ds.train, ds.valid, ds.test]);
  const triples = QUICK ? ds.test.subarray(0, 3 * 2000) : ds.test;
  const m = await evaluateLinkPrediction({ scorer, entities: tables.entities, relations: tables.relations, numEntities: nE, numRelations: nR, triples, filter });
  return { seconds: m.seconds, triples: triples.length / 3 };
}

async function main(): Promise<void> {
  const part = arg('part', 'all');
  const models = arg('models', Object.keys(VARIANTS).join(',')).split(',');
  const backend = await selectBackend((arg('backend', 'auto')) as never);
  const machine = machineDescription();
  console.log(`# mmkge bench\nmachine: ${machine}; tfjs backend ${backend}${QUICK ? '; QUICK mode (fewer batches / triples)' : ''}\n`);
  const fb = await loadKgDataset('fb-img');
  const results: Record<string, unknown> = { machine, backend, quick: QUICK, date: new Date().toISOString() };

  if (part === 'all' || part === 'train') {
    console.log('## Training throughput, FB-IMG, dim 200, batch 1024, 1 negative, margin loss, sparse Adagrad\n');
    console.log('| scorer | path | positive triples/s |\n|---|---|---:|');
    const train: Record<string, number> = {};
    for (const name of models) {
      const tps = trainThroughput(fb, name, true);
      train[`${name}/kernel`] = tps;
      console.log(`| ${name} | fused kernel | ${Math.round(tps).toLocaleString('en')} |`);
    }
    const auto = trainThroughput(fb, 'transe-l1', false);
    train['transe-l1/autodiff'] = auto;
    console.log(`| transe-l1 | tfjs autodiff (batch rows only) | ${Math.round(auto).toLocaleString('en')} |\n`);
    results.train = train;
  }
  if (part === 'all' || part === 'cli') results.cli = await runTrainCliBench(QUICK);
  if (part === 'all' || part === '1vsall') {
    const wn = await loadKgDataset('wn9-img');
    console.log('## 1-vs-all epoch time (reciprocal, batch 1000, N3, Adagrad)\n');
    console.log('| model | dataset | dim | seconds / epoch |\n|---|---|---:|---:|');
    const ova: Record<string, number> = {};
    for (const [model, ds, dim] of [['complex', wn, 200], ['distmult', wn, 200], ['complex', fb, 100]] as [string, KgDataset, number][]) {
      const s = oneVsAllEpochSeconds(ds, model, dim);
      ova[`${model}/${ds.name}/${dim}`] = s;
      console.log(`| ${model} | ${ds.name} | ${dim} | ${s.toFixed(1)} |`);
    }
    console.log('');
    results.oneVsAll = ova;
  }
  if (part === 'all' || part === 'otkge') {
    console.log('## OTKGE seconds per epoch, with and without IMML (1-vs-all, reciprocal, N3, text features)\n');
    console.log('| dataset | dim | batch | OTKGE s/epoch | OTKGE+IMML s/epoch | ratio |\n|---|---:|---:|---:|---:|---:|');
    const ot: Record<string, unknown> = {};
    const wn = await loadKgDataset('wn9-img');
    const settings: [typeof wn, number][] = QUICK ? [[wn, 200]] : [[wn, 200], [wn, 500], [fb, 200]];
    for (const [ds, dim] of settings) {
      const features = await loadDatasetModalities(ds.descriptor, { imageFeatures: '', textFeatures: '' }, ds.entities);
      const reps = QUICK ? 1 : 3;
      const base = otkgeEpochSeconds(ds, features, dim, false, reps);
      const withImml = otkgeEpochSeconds(ds, features, dim, true, reps);
      ot[`${ds.name}/${dim}`] = { base, imml: withImml };
      console.log(`| ${ds.name} | ${dim} | ${base.batch} | ${base.secondsPerEpoch.toFixed(1)} | ${withImml.secondsPerEpoch.toFixed(1)} | ${(withImml.secondsPerEpoch / base.secondsPerEpoch).toFixed(2)}x |`);
    }
    console.log('');
    results.otkge = ot;
  }
  if (part === 'all' || part === 'cls') {
    console.log('## Classification: QMF vs QMF+IMML seconds per epoch on HFM (100-d BoW)\n');
    results.cls = await runClsBench({ epochs: QUICK ? 1 : 2 });
    console.log('');
  }
  if (part === 'all' || part === 'eval') {
    console.log('## Filtered evaluation of the FB-IMG test set (heads and tails), dim 200\n');
    console.log('| scorer | triples | seconds | peak RSS (MB) |\n|---|---:|---:|---:|');
    const ev: Record<string, unknown> = {};
    for (const name of models) {
      const r = await evalSeconds(fb, name);
      const rss = Math.round(process.resourceUsage().maxRSS / 1024);
      ev[name] = { ...r, peakRssMB: rss };
      console.log(`| ${name} | ${r.triples} | ${r.seconds.toFixed(1)} | ${rss} |`);
    }
    console.log('\n(peak RSS is the process lifetime peak, training included when run with --part all)');
    results.eval = ev;
  }
  writeJsonAtomic(path.join(__dirname, '..', '..', 'bench', 'results.json'), results);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
