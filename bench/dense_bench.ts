/**
 * The dense-engine figures of `npm run bench` (part `dense`), measured where a user sees them:
 * `mmkge train` runs as child processes (their metrics.json and loss.csv), side by side with
 * the PyTorch reference (bench/reference/kbc_1vsall.py, same recipe) in the same run.
 *
 * - head:    one WN9-IMG-sized batch (1000 x 400 x 6,555), forward + backward: the engine's fused
 *            graph, the same as two graphs (forward, backward), and the tfjs engine; GFLOP/s.
 * - epoch:   1-vs-all ComplEx, WN9-IMG, dim 200, batch 1000: mmkge epoch seconds vs PyTorch
 *            (alternating runs, median of each), end-to-end GFLOP/s next to the head-only rate.
 * - default: `mmkge train --dataset wn9-img --model complex` as shipped: trainSeconds, test MRR.
 * - fb:      FB-IMG one epoch each of DistMult, ComplEx, OTKGE, OTKGE+IMML at dim 200, with the
 *            filtered valid + test evaluation of the run and its peak RSS (DistMult's test
 *            evaluation is the "whole FB-IMG test set" figure).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DenseHead, HeadLoss } from '../src/dense/head';
import { headFlops } from '../src/dense/head';
import { createEngine } from '../src/dense/select';
import { splitCeGraphs } from '../src/dense/onnx_graphs';
import { Rng } from '../src/rng';
import type { RunMetrics } from '../src/app/run';
import { readLossCurve } from '../src/train/loss_curve';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'app', 'cli.js');
const PYTHON = '/usr/bin/python3';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One `mmkge train` child process; returns its metrics.json and per-epoch seconds from loss.csv. */
export function mmkgeTrain(args: string[]): { metrics: RunMetrics; epochSeconds: number[]; wallSeconds: number } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-bench-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'train', ...args, '--out', out, '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`mmkge train ${args.join(' ')} failed:\n${r.stderr.slice(-2000)}`);
  const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as RunMetrics;
  const epochSeconds = readLossCurve(path.join(out, 'loss.csv')).map((r) => r.seconds);
  fs.rmSync(out, { recursive: true, force: true });
  return { metrics, epochSeconds, wallSeconds };
}

/** The PyTorch reference: epoch seconds (or undefined with the reason when torch is missing). */
export function pytorchEpoch(trainFile: string, entities: number, model: string, threads: number): { seconds: number; engine: string } | { error: string } {
  const script = path.join(ROOT, 'bench', 'reference', 'kbc_1vsall.py');
  const r = spawnSync(PYTHON, [script, '--train', trainFile, '--order', 'hrt', '--model', model, '--dim', '200', '--epochs', '1', '--entities', String(entities), '--threads', String(threads)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || String(r.error)).trim().split('\n').slice(-1)[0] };
  const j = JSON.parse(r.stdout.trim().split('\n').slice(-1)[0]) as { epochSeconds: number[]; engine: string };
  return { seconds: j.epochSeconds[0], engine: j.engine };
}

/** ms per call of `fn` (best of `reps` after one warm-up). */
function timeMs(fn: () => void, reps: number): number {
  fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Head-only timing of one WN9-IMG ComplEx batch: fused graph, split graphs, tfjs. */
export function headRates(quick: boolean): Record<string, { ms: number; gflops: number }> {
  const [B, N, d] = [1000, 6555, 400];
  const rng = new Rng(1);
  const Q = Float32Array.from({ length: B * d }, () => 0.05 * rng.normal());
  const E = Float32Array.from({ length: N * d }, () => 0.05 * rng.normal());
  const answers = Int32Array.from({ length: B }, (_, i) => (i * 37) % N);
  const spec: HeadLoss = { loss: 'ce', targets: { kind: 'index', answers } };
  const out = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
  const flops = headFlops(B, N, d);
  const res: Record<string, { ms: number; gflops: number }> = {};
  const rate = (ms: number) => ({ ms, gflops: flops / ms / 1e6 });
  const ort = createEngine('ort-cpu');
  res['ort-cpu fused graph'] = rate(timeMs(() => ort.lossAndGrads({ Q, E, B, N, d }, spec, out), quick ? 2 : 5));
  res['ort-cpu split graphs'] = rate(timeMs(splitRunner(ort, Q, E, B, N, d, answers), quick ? 2 : 5));
  ort.dispose();
  const tfjs: DenseHead = createEngine('tfjs');
  res[`tfjs (${tfjs.description.replace(/^tfjs \(|\)$/g, '')})`] = rate(timeMs(() => tfjs.lossAndGrads({ Q, E, B, N, d }, spec, out), 1));
  return res;
}

/** The CE step as two ORT sessions (forward -> G, backward <- G), built like the engine's. */
function splitRunner(head: DenseHead, Q: Float32Array, E: Float32Array, B: number, N: number, d: number, answers: Int32Array): () => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { binding, initOrt } = require('onnxruntime-node/dist/binding') as typeof import('onnxruntime-node/dist/binding');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Tensor } = require('onnxruntime-common') as typeof import('onnxruntime-common');
  initOrt();
  const threads = os.availableParallelism();
  const open = (bytes: Uint8Array) => {
    const s = new binding.InferenceSession();
    s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    return s;
  };
  const g = splitCeGraphs();
  const fwd = open(g.forward);
  const bwd = open(g.backward);
  const Y = new Float32Array(B * N);
  for (let i = 0; i < B; i++) Y[i * N + answers[i]] = 1;
  const w = new Float32Array(B).fill(1 / B);
  const G = new Float32Array(B * N);
  const rl = new Float32Array(B);
  const dQ = new Float32Array(B * d);
  const dE = new Float32Array(N * d);
  const t = (x: Float32Array, dims: number[]) => new Tensor('float32', x, dims);
  void head;
  return () => {
    fwd.run({ Q: t(Q, [B, d]), E: t(E, [N, d]), Y: t(Y, [B, N]), w: t(w, [B, 1]) }, { rowLoss: t(rl, [B]), G: t(G, [B, N]) }, {});
    bwd.run({ G: t(G, [B, N]), Q: t(Q, [B, d]), E: t(E, [N, d]) }, { dQ: t(dQ, [B, d]), dE: t(dE, [N, d]) }, {});
  };
}

/** WN9-IMG ComplEx epoch, mmkge vs PyTorch, alternating `rounds` times. */
export function complexEpochRace(wnTrain: string, rounds: number): Record<string, unknown> {
  const mm: number[] = [];
  const pt: Record<number, number[]> = { 1: [], 2: [] };
  let ptEngine = '';
  let ptError: string | undefined;
  let engine = '';
  let queries = 0;
  for (let r = 0; r < rounds; r++) {
    const run = mmkgeTrain(['--dataset', 'wn9-img', '--model', 'complex', '--epochs', '1', '--eval-every', '0']);
    mm.push(run.epochSeconds[0]);
    engine = run.metrics.engine;
    queries = Math.round(run.metrics.triplesPerSecond * run.epochSeconds[0]);
    for (const threads of [1, 2]) {
      const p = pytorchEpoch(wnTrain, 6555, 'complex', threads);
      if ('error' in p) ptError = p.error;
      else {
        pt[threads].push(p.seconds);
        ptEngine = p.engine.replace(/ \(\d+ threads\)/, '');
      }
    }
  }
  const mmkge = median(mm);
  const torch = Math.min(...[1, 2].filter((t) => pt[t].length).map((t) => median(pt[t])));
  const flops = headFlops(queries, 6555, 400);
  return {
    mmkgeEpochSeconds: mm, mmkgeMedian: mmkge, engine,
    pytorch1ThreadSeconds: pt[1], pytorch2ThreadSeconds: pt[2], pytorchBestMedian: Number.isFinite(torch) ? torch : null, pytorch: ptEngine || ptError,
    speedupVsPytorch: Number.isFinite(torch) ? torch / mmkge : null,
    queriesPerEpoch: queries, endToEndGflops: flops / mmkge / 1e9,
  };
}
