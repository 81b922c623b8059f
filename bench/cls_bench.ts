/**
 * Classification training speed: seconds per epoch of QMF and QMF + IMML on HFM (19,816
 * training samples, text + attribute words, 100-d GloVe bags, batch 128), and their ratio (the
 * issue asks IMML to cost at most 1.5x the base model). Exported for bench/bench.ts:
 * `runClsBench()` returns and prints the numbers; `node dist/bench/cls_bench.js` runs it alone.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/backend';
import { createEngine } from '../src/dense/select';
import { setTensorEngine } from '../src/dense/tf_loss';
import type { DenseHead } from '../src/dense/head';
import { fusedMdkeLoss } from '../imml/mdke_fused';
import { mixedCrossEntropy } from '../src/soft_cross_entropy';
import { scaledRows, weightedSum } from '../src/tf_ops';
import { clsConfig } from '../src/app/classification/config';
import type { ImmlOptions } from '../imml/options';
import { ClsTrainer, prepareClsData } from '../src/app/classification/train';

export interface ClsBenchResult {
  dataset: string;
  backend: string;
  trainSamples: number;
  batchSize: number;
  /** Rounds timed (after one warm-up round); in each, QMF and QMF + IMML train one epoch in turn. */
  rounds: number;
  /** Seconds of one training epoch, the fastest of `rounds` (evaluation excluded). */
  qmfSecondsPerEpoch: number;
  qmfImmlSecondsPerEpoch: number;
  /** qmfImml / qmf of the fastest epochs. */
  ratio: number;
  /** Median over rounds of the round's qmfImml / qmf: the two epochs of a round ran back to back, so drift in the machine's speed cancels. */
  medianPairedRatio: number;
  /** The per-round ratios themselves, in round order (their spread shows how far the machine's noise reaches). */
  pairedRatios: number[];
  /** QMF + IMML with L_mdke on at most 64 samples and 64-d projection heads (timed after the pair, in rounds of its own with QMF). */
  cheapMdkeSecondsPerEpoch: number;
  cheapRatio: number;
  /** One L_mdke op, forward + backward through tfjs, n = 128, D_m = 128, D = 128: ms per call as one ORT graph and as the typed-array kernel (fastest of alternating rounds). */
  mdkeOpMs: { graph: number; kernel: number } | undefined;
  /** tfjs kernels dispatched per training step (one epoch each, counted at the engine): a figure the machine's speed does not move. */
  kernelsPerStep: { qmf: number; qmfImml: number };
  /** L_beta's host ops against the tfjs expressions they replace, microseconds per forward + backward at HFM's shapes (fastest of alternating rounds). */
  betaOpsUs: Record<string, { host: number; tfjs: number }>;
}

/**
 * Time L_mdke's op alone at HFM's shapes: the ORT graph (imml/mdke_graph.ts) against the
 * typed-array kernel with ORT products (the same engine with runGraph hidden), in turns.
 */
export function timeMdkeOp(rounds: number): { graph: number; kernel: number } | undefined {
  let engine: DenseHead;
  try {
    engine = createEngine('ort-cpu', 1);
  } catch {
    return undefined;
  }
  const kernelOnly: DenseHead = Object.create(engine, { runGraph: { value: undefined } });
  const n = 128;
  const D = 128;
  const vars = tf.tidy(() => [
    tf.randomNormal([n, 128], 0, 1, 'float32', 1), tf.randomNormal([n, 128], 0, 1, 'float32', 2),
    ...[0, 1].flatMap((m) => [tf.randomNormal([128, D], 0, 0.1, 'float32', 3 + m), tf.zeros([D]), tf.randomNormal([D, D], 0, 0.1, 'float32', 5 + m), tf.zeros([D])]),
  ].map((t) => tf.keep(t)));
  const step = (): void => tf.tidy(() => {
    const { grads } = tf.valueAndGrads((...a: tf.Tensor[]) => fusedMdkeLoss(a.slice(0, 2) as tf.Tensor2D[], [0, 1].map((m) => ({
      W1: a[2 + 4 * m] as tf.Tensor2D, b1: a[3 + 4 * m] as tf.Tensor1D, W2: a[4 + 4 * m] as tf.Tensor2D, b2: a[5 + 4 * m] as tf.Tensor1D,
    })), 0.5, 1e-3))(vars);
    grads.forEach((g) => g.dataSync());
  });
  const best = { graph: Infinity, kernel: Infinity };
  try {
    for (let r = 0; r <= rounds; r++) {
      for (const [name, e] of [['graph', engine], ['kernel', kernelOnly]] as const) {
        setTensorEngine(e);
        const calls = 50;
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) step();
        if (r > 0) best[name] = Math.min(best[name], (performance.now() - t0) / calls);
      }
    }
  } finally {
    setTensorEngine(undefined);
    vars.forEach((v) => v.dispose());
    engine.dispose();
  }
  return best;
}

/**
 * L_beta's host ops (mixed cross-entropy, the mixed rows appended to the batch, the loss sum) and
 * the tfjs expressions they replace, at HFM's shapes: batch 128, 39 mixed rows (30%), width 128,
 * 2 classes. Microseconds per forward + backward, the fastest of alternating rounds.
 */
export function timeBetaOps(rounds: number): Record<string, { host: number; tfjs: number }> {
  const B = 128;
  const R = 39;
  const W = 128;
  const C = 2;
  const x = tf.keep(tf.randomNormal([B, W], 0, 1, 'float32', 1)) as tf.Tensor2D;
  const z = tf.keep(tf.randomNormal([R, C], 0, 1, 'float32', 2)) as tf.Tensor2D;
  const terms = [tf.keep(tf.scalar(0.5)), tf.keep(tf.scalar(1.5))];
  const source = Int32Array.from({ length: R }, (_, i) => (i * 7) % B);
  const scale = Float32Array.from({ length: R }, (_, i) => (i + 0.5) / R);
  const yA = Int32Array.from({ length: R }, (_, i) => i % C);
  const yB = Int32Array.from({ length: R }, (_, i) => (i >> 1) % C);
  const ops: Record<string, (host: boolean) => [tf.Tensor[], (...a: tf.Tensor[]) => tf.Scalar]> = {
    mixedCrossEntropy: (host) => [[z], (a) => mixedCrossEntropy(a as tf.Tensor2D, yA, yB, scale, host)],
    // the tfjs form is the one before: scaled rows as their own op, then a concat
    appendedRows: (host) => [[x], (a) => tf.sum(host ? scaledRows(a as tf.Tensor2D, source, scale, true) : tf.concat([a, scaledRows(a as tf.Tensor2D, source, scale)], 0))],
    weightedSum: (host) => [terms, (a, b) => weightedSum([a as tf.Scalar, b as tf.Scalar], [1, 0.1], host)],
  };
  const best: Record<string, { host: number; tfjs: number }> = {};
  try {
    for (const [name, make] of Object.entries(ops)) {
      best[name] = { host: Infinity, tfjs: Infinity };
      for (let r = 0; r <= rounds; r++) {
        for (const host of [true, false]) {
          const [vars, f] = make(host);
          const g = tf.valueAndGrads(f);
          const calls = 200;
          const t0 = performance.now();
          for (let i = 0; i < calls; i++) tf.tidy(() => g(vars).grads.forEach((t) => t.dataSync()));
          const us = ((performance.now() - t0) / calls) * 1000;
          if (r > 0) best[name][host ? 'host' : 'tfjs'] = Math.min(best[name][host ? 'host' : 'tfjs'], us);
        }
      }
    }
  } finally {
    tf.dispose([x, z, ...terms]);
  }
  return best;
}

/** How many kernels tfjs dispatches while `work` runs (counted at the engine). */
async function kernelsDuring(work: () => unknown): Promise<number> {
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const run = engine.runKernel;
  let count = 0;
  engine.runKernel = function (this: unknown, ...a: unknown[]) {
    count++;
    return run.apply(this, a);
  };
  try {
    await work();
  } finally {
    engine.runKernel = run;
  }
  return count;
}

/** tfjs kernels per training step of one epoch of `trainer` (its dev-split evaluation, counted alone, taken off). */
async function kernelsPerStep(trainer: ClsTrainer, data: Data, steps: number): Promise<number> {
  const epoch = await kernelsDuring(() => trainer.fit());
  const evaluation = await kernelsDuring(() => trainer.evaluate(data.dev));
  return (epoch - evaluation) / steps;
}

type Data = Awaited<ReturnType<typeof prepareClsData>>;

/** A trainer of QMF with `plugins` on HFM whose `fit` runs one epoch per call. */
function oneEpochTrainer(plugins: string[], data: Data, imml: Partial<ImmlOptions> = {}): ClsTrainer {
  return new ClsTrainer(clsConfig({ dataset: 'hfm', model: 'qmf', plugins, epochs: 1, patience: 0, quiet: true, seed: 1, imml: imml as ImmlOptions }), data);
}

/** Epoch seconds of each trainer over `rounds` rounds after a warm-up round; in a round the trainers take turns. */
async function alternate(trainers: ClsTrainer[], rounds: number): Promise<number[][]> {
  const seconds = trainers.map(() => [] as number[]);
  for (let r = 0; r <= rounds; r++) {
    for (let i = 0; i < trainers.length; i++) {
      const fit = await trainers[i].fit();
      if (r > 0) seconds[i].push(fit.history[0].seconds);
    }
  }
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Measure and print seconds per epoch of QMF and QMF + IMML on HFM. The configurations take
 * turns epoch by epoch, so that a change in the machine's speed (other processes, a busy host)
 * moves both; the result gives the ratio of the fastest epochs and the median of the per-round
 * ratios. The cheaper L_mdke variant runs afterwards, in its own rounds (one process running
 * several head widths makes the shared kernels slower for all of them).
 */
export async function runClsBench(opts: { epochs?: number; log?: (m: string) => void } = {}): Promise<ClsBenchResult> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const backend = await selectBackend('auto');
  const rounds = Math.max(1, opts.epochs ?? 5);
  const data = await prepareClsData(clsConfig({ dataset: 'hfm' }));
  const qmfTrainer = oneEpochTrainer([], data);
  const [qmfs, immls] = await alternate([qmfTrainer, oneEpochTrainer(['imml'], data)], rounds);
  const [qmfs2, cheaps] = await alternate([qmfTrainer, oneEpochTrainer(['imml'], data, { mdkeRows: 64, projectionDim: 64 })], rounds);
  const qmf = Math.min(...qmfs);
  const imml = Math.min(...immls);
  const cheap = Math.min(...cheaps);
  const mdkeOpMs = timeMdkeOp(rounds);
  const betaOpsUs = timeBetaOps(rounds);
  const steps = Math.ceil(data.train.size / clsConfig().batchSize);
  const kernels = { qmf: await kernelsPerStep(qmfTrainer, data, steps), qmfImml: await kernelsPerStep(oneEpochTrainer(['imml'], data), data, steps) };
  const result: ClsBenchResult = {
    dataset: 'hfm',
    backend,
    trainSamples: data.train.size,
    batchSize: clsConfig().batchSize,
    rounds,
    qmfSecondsPerEpoch: qmf,
    qmfImmlSecondsPerEpoch: imml,
    ratio: imml / qmf,
    medianPairedRatio: median(immls.map((s, r) => s / qmfs[r])),
    pairedRatios: immls.map((s, r) => s / qmfs[r]),
    cheapMdkeSecondsPerEpoch: cheap,
    cheapRatio: median(cheaps.map((s, r) => s / qmfs2[r])),
    mdkeOpMs,
    kernelsPerStep: kernels,
    betaOpsUs,
  };
  log(
    `classification (HFM, ${result.trainSamples} train samples, batch ${result.batchSize}, ${backend}, ${rounds} alternating rounds): ` +
      `QMF ${qmf.toFixed(2)} s/epoch, QMF + IMML ${imml.toFixed(2)} s/epoch (fastest epochs), ratio ${result.ratio.toFixed(2)}x, median paired ratio ${result.medianPairedRatio.toFixed(2)}x (target <= 1.5x; rounds ${result.pairedRatios.map((x) => x.toFixed(2)).join(', ')}); ` +
      `with --imml-mdke-rows 64 --imml-projection-dim 64: ${cheap.toFixed(2)} s/epoch, median paired ratio ${result.cheapRatio.toFixed(2)}x` +
      (mdkeOpMs ? `; one L_mdke op (n 128, forward + backward): ${mdkeOpMs.graph.toFixed(2)} ms as one ORT graph, ${mdkeOpMs.kernel.toFixed(2)} ms as the typed-array kernel` : '') +
      `; tfjs kernels per step: QMF ${kernels.qmf.toFixed(1)}, QMF + IMML ${kernels.qmfImml.toFixed(1)}; L_beta's host ops vs tfjs (us, forward + backward): ` +
      Object.entries(betaOpsUs).map(([k, v]) => `${k} ${v.host.toFixed(0)} vs ${v.tfjs.toFixed(0)}`).join(', '),
  );
  return result;
}

if (require.main === module) {
  // node dist/bench/cls_bench.js [--rounds N]
  const at = process.argv.indexOf('--rounds');
  const rounds = at > 0 ? Number(process.argv[at + 1]) : undefined;
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1)) {
    process.stderr.write(`cls_bench: error: --rounds must be an integer >= 1, got '${process.argv[at + 1] ?? ''}'\n`);
    process.exit(2);
  }
  runClsBench({ epochs: rounds }).catch((err: unknown) => {
    process.stderr.write(`cls_bench: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
