/**
 * `npm run bench`: speed of the hot paths on this machine (never timed in tests).
 *
 *   node dist/bench/bench.js [--part train|cli|rotate|eval|dense|default|fb|otkge|cls|all] [--quick] [--models transe,distmult,...] [--engine NAME]
 *     [--fb-models distmult,complex,otkge,otkge+imml] [--otkge-fb-only]
 *
 * - train:  negative-sampling training throughput (positive triples/s, 1 uniform negative each,
 *           margin loss, sparse Adagrad) on the real FB-IMG training triples, dim 200, batch 1024,
 *           for every built-in scorer, with the fused kernel; TransE also through tfjs autodiff.
 * - dense (alias 1vsall): the dense head's rate (fused vs split graphs vs tfjs) and a WN9-IMG
 *           ComplEx 1-vs-all epoch of `mmkge train` against the PyTorch reference (bench/dense_bench.ts).
 * - default: the default `mmkge train --dataset wn9-img --model complex` (trainSeconds, test MRR).
 * - fb:     FB-IMG one epoch each of DistMult, ComplEx, OTKGE, OTKGE+IMML at dim 200 with evaluation and peak RSS.
 * - eval:   filtered evaluation of the whole FB-IMG test set (34,863 triples, heads and tails,
 *           dim 200) per scorer, with peak RSS.
 * - cls:    seconds per epoch of QMF and QMF+IMML on HFM (100-d BoW), and QMF+IMML with the cheap
 *           L_mdke setting (64 samples, 64-d heads).
 * - otkge: seconds per epoch of OTKGE with and without IMML on WN9-IMG and FB-IMG (text features,
 *           dim 200 and the paper's rank 500 on WN9-IMG), extrapolated from timed batches.
 * - cli:    `mmkge train` throughput as a user sees it (metrics.json): TransE-L1 on FB-IMG against the
 *           PyTorch CPU reference (bench/reference/transe_torch.py, 1 and 2 threads), RotatE on
 *           WN9-IMG against bench/reference/rotate_torch.py, and IKRL, TBKGE, TransAE, MMKRL on
 *           WN9-IMG against TransE with the same negatives and batch.
 * - rotate: only the RotatE comparison of `cli`.
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
import { machineDescription } from '../src/app/run';
import { writeJsonAtomic } from '../src/atomic';
import { loadKgDataset } from '../kg-data/loader';
import { createScorer } from '../baselines/kg/registry';
import { evaluateLinkPrediction } from '../eval/link_prediction';
import type { Scorer, ScorerOptions } from '../src/scorer';
import type { KgDataset } from '../src/kg';
import { loadDatasetModalities } from '../kg-data/features';
import { otkgeEpochSeconds } from './otkge_bench';
import { runClsBench } from './cls_bench';
import type { DenseHead } from '../src/dense/head';
import { selectDenseHead } from '../src/dense/select';
import { complexEpochRace, headRates, mmkgeTrain } from './dense_bench';
import { rotateWorkers, runTrainCliBench } from './train_cli_bench';
import { flag } from '../src/app/flags';

/** Where the raw datasets live (the PyTorch reference reads WN9-IMG's h r t triples there). */
function dataHome(): string {
  return process.env.MMKGE_DATA ?? path.join(__dirname, '..', '..', '..', 'shared', 'data');
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

async function evalSeconds(ds: KgDataset, name: string, engine: DenseHead): Promise<{ seconds: number; triples: number }> {
  const scorer = scorerOf(name);
  const nE = ds.entities.length;
  const nR = ds.relations.length;
  const tables = createTables(scorer, nE, nR, new Rng(2), 0);
  const filter = new FilterIndex(nE, nR, [ds.train, ds.valid, ds.test]);
  const triples = QUICK ? ds.test.subarray(0, 3 * 2000) : ds.test;
  const m = await evaluateLinkPrediction({ scorer, entities: tables.entities, relations: tables.relations, numEntities: nE, numRelations: nR, triples, filter, engine });
  return { seconds: m.seconds, triples: triples.length / 3 };
}

async function main(): Promise<void> {
  const part = flag('part', 'all');
  const models = flag('models', Object.keys(VARIANTS).join(',')).split(',');
  const backend = await selectBackend((flag('backend', 'auto')) as never);
  const machine = machineDescription();
  const head = selectDenseHead(flag('engine', 'auto'), (m) => console.log(m));
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
  if (part === 'all' || part === 'dense' || part === '1vsall') {
    console.log('## Dense head: one 1-vs-all batch, 1000 queries x 400 floats x 6,555 entities, forward + backward (15.7 GFLOP)\n');
    console.log('| engine | ms | GFLOP/s |\n|---|---:|---:|');
    const rates = headRates(QUICK);
    for (const [k, v] of Object.entries(rates)) console.log(`| ${k} | ${v.ms.toFixed(0)} | ${v.gflops.toFixed(1)} |`);
    const wnTrain = path.join(dataHome(), 'WN9-IMG', 'hrt', 'train');
    const rounds = QUICK ? 1 : 3;
    console.log(`\n## 1-vs-all ComplEx epoch, WN9-IMG, dim 200, batch 1000 (reciprocal, CE, N3, Adagrad): mmkge train vs PyTorch, ${rounds} alternating rounds\n`);
    const race = complexEpochRace(wnTrain, rounds) as Record<string, number | number[] | string | null>;
    const fmt = (x: unknown) => (Array.isArray(x) ? x.map((v) => v.toFixed(1)).join(', ') : String(x));
    console.log('| runner | epoch seconds | median |\n|---|---|---:|');
    console.log(`| mmkge (${race.engine}) | ${fmt(race.mmkgeEpochSeconds)} | ${(race.mmkgeMedian as number).toFixed(1)} |`);
    console.log(`| ${race.pytorch}, 1 thread | ${fmt(race.pytorch1ThreadSeconds)} | |`);
    console.log(`| ${race.pytorch}, 2 threads | ${fmt(race.pytorch2ThreadSeconds)} | |`);
    console.log(`\nspeed-up vs the faster PyTorch setting: ${race.speedupVsPytorch === null ? 'n/a' : (race.speedupVsPytorch as number).toFixed(2) + 'x'}; ` +
      `end to end ${(race.endToEndGflops as number).toFixed(1)} GFLOP/s of head products (6 B N d per batch) vs ${rates['ort-cpu fused graph'].gflops.toFixed(1)} GFLOP/s head-only\n`);
    results.dense = { head: rates, complexEpoch: race };
  }
  if (part === 'all' || part === 'default') {
    console.log('## Default `mmkge train --dataset wn9-img --model complex`\n');
    const run = mmkgeTrain(['--dataset', 'wn9-img', '--model', 'complex']);
    const m = run.metrics;
    console.log('| trainSeconds | epochs | test MRR | test H@1 | test H@10 | peak RSS (MB) |\n|---:|---:|---:|---:|---:|---:|');
    console.log(`| ${m.trainSeconds.toFixed(1)} | ${m.epochsRun} | ${m.test.both.mrr.toFixed(4)} | ${m.test.both['hits@1'].toFixed(4)} | ${m.test.both['hits@10'].toFixed(4)} | ${m.peakRssMB} |\n`);
    results.defaultComplex = { trainSeconds: m.trainSeconds, epochs: m.epochsRun, testMrr: m.test.both.mrr, epochSeconds: run.epochSeconds, engine: m.engine, peakRssMB: m.peakRssMB };
  }
  if (part === 'all' || part === 'cli') results.cli = await runTrainCliBench(QUICK);
  else if (part === 'rotate') results.rotate = await rotateWorkers(QUICK);
  if (part === 'all' || part === 'fb') {
    console.log('## FB-IMG, one 1-vs-all epoch each at dim 200 (`mmkge train --dataset fb-img --model M --dim 200 --epochs 1`), with the run\'s filtered evaluation\n');
    console.log('| model | epoch s | valid eval s | test eval s (34,863 triples, both sides) | peak RSS (MB) | test MRR after 1 epoch |\n|---|---:|---:|---:|---:|---:|');
    const fbRuns: Record<string, unknown> = {};
    const fbModels: [string, string[]][] = [['distmult', []], ['complex', []], ['otkge', []], ['otkge+imml', ['--imml']]];
    const wanted = flag('fb-models', fbModels.map(([l]) => l).join(',')).split(',');
    for (const [label, extra] of (QUICK ? fbModels.slice(0, 1) : fbModels).filter(([l]) => wanted.includes(l))) {
      const run = mmkgeTrain(['--dataset', 'fb-img', '--model', label.split('+')[0], '--dim', '200', '--epochs', '1', '--eval-every', '0', ...extra]);
      const m = run.metrics;
      fbRuns[label] = { epochSeconds: run.epochSeconds[0], evalSeconds: m.evalSeconds, peakRssMB: m.peakRssMB, testMrr: m.test.both.mrr, engine: m.engine };
      console.log(`| ${label} | ${run.epochSeconds[0].toFixed(1)} | ${m.evalSeconds.valid.toFixed(1)} | ${m.evalSeconds.test.toFixed(1)} | ${m.peakRssMB} | ${m.test.both.mrr.toFixed(4)} |`);
    }
    console.log('');
    results.fb = fbRuns;
  }
  if (part === 'all' || part === 'otkge') {
    console.log('## OTKGE seconds per epoch, with and without IMML (1-vs-all, reciprocal, N3, text features)\n');
    console.log('| dataset | dim | batch | OTKGE s/epoch | OTKGE+IMML s/epoch | ratio |\n|---|---:|---:|---:|---:|---:|');
    const ot: Record<string, unknown> = {};
    const wn = await loadKgDataset('wn9-img');
    const settings: [typeof wn, number][] = process.argv.includes('--otkge-fb-only') ? [[fb, 200]] : QUICK ? [[wn, 200]] : [[wn, 200], [wn, 500], [fb, 200]];
    for (const [ds, dim] of settings) {
      const features = await loadDatasetModalities(ds.descriptor, { imageFeatures: '', textFeatures: '' }, ds.entities);
      const reps = QUICK ? 1 : 3;
      const base = otkgeEpochSeconds(ds, features, dim, false, reps, head);
      const withImml = otkgeEpochSeconds(ds, features, dim, true, reps, head);
      ot[`${ds.name}/${dim}`] = { base, imml: withImml };
      console.log(`| ${ds.name} | ${dim} | ${base.batch} | ${base.secondsPerEpoch.toFixed(1)} | ${withImml.secondsPerEpoch.toFixed(1)} | ${(withImml.secondsPerEpoch / base.secondsPerEpoch).toFixed(2)}x |`);
    }
    console.log('');
    results.otkge = ot;
  }
  if (part === 'all' || part === 'cls') {
    console.log('## Classification: QMF vs QMF+IMML seconds per epoch on HFM (100-d BoW)\n');
    results.cls = await runClsBench({ epochs: QUICK ? 2 : 5 });
    console.log('');
  }
  if (part === 'all' || part === 'eval') {
    console.log('## Filtered evaluation of the FB-IMG test set (heads and tails), dim 200\n');
    console.log('| scorer | triples | seconds | peak RSS (MB) |\n|---|---:|---:|---:|');
    const ev: Record<string, unknown> = {};
    for (const name of models) {
      const r = await evalSeconds(fb, name, head);
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
