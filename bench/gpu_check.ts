/**
 * `node dist/bench/gpu_check.js [--engine ort-webgpu]`: does the GPU engine give the CPU engine's
 * loss, gradients and filtered ranks on a small case? Exits 1 with the differences if not, 2 if
 * the engine cannot start (no adapter). Run by bench/gpu.sh before any timing.
 */
import { selectBackend } from '../src/backend';
import { createEngine } from '../src/dense/select';
import type { EngineName, HeadLoss } from '../src/dense/head';
import { Rng } from '../src/rng';
import { maxRelativeError } from '../src/dense/engine_js';
import { FilterIndex } from '../src/filter';
import { createTables } from '../src/train/model';
import { createScorer } from '../baselines/kg/registry';
import { rankLinkPrediction } from '../eval/link_prediction';


async function main(): Promise<void> {
  const i = process.argv.indexOf('--engine');
  const name = (i >= 0 ? process.argv[i + 1] : 'ort-webgpu') as EngineName;
  await selectBackend('wasm');
  let gpu;
  try {
    gpu = createEngine(name);
  } catch (err) {
    console.error(`gpu_check: ${name} cannot start: ${(err as Error).message}`);
    process.exit(2);
  }
  const cpu = createEngine('ort-cpu');
  console.log(`gpu_check: ${gpu.description} against ${cpu.description}`);
  const rng = new Rng(7);
  const [B, N, d] = [256, 2000, 64];
  const Q = Float32Array.from({ length: B * d }, () => 0.3 * rng.normal());
  const E = Float32Array.from({ length: N * d }, () => 0.3 * rng.normal());
  const spec: HeadLoss = { loss: 'ce', targets: { kind: 'index', answers: Int32Array.from({ length: B }, (_, k) => (k * 13) % N), smoothing: 0.1 } };
  const a = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
  const b = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
  const la = cpu.lossAndGrads({ Q, E, B, N, d }, spec, a);
  const lb = gpu.lossAndGrads({ Q, E, B, N, d }, spec, b);
  const errs = { loss: Math.abs(la - lb) / la, dQ: maxRelativeError(b.dQ, a.dQ), dE: maxRelativeError(b.dE, a.dE) };
  console.log(`loss cpu ${la.toFixed(6)} gpu ${lb.toFixed(6)}; relative errors ${JSON.stringify(errs)}`);
  let ok = errs.loss < 1e-4 && errs.dQ < 1e-3 && errs.dE < 1e-3;

  const scorer = createScorer('complex', { dim: 32 });
  const [n, nr] = [3000, 5];
  const tables = createTables(scorer, n, nr, new Rng(8), 0);
  const tr = new Rng(9);
  const triples = Int32Array.from({ length: 3 * 500 }, (_, k) => (k % 3 === 1 ? tr.int(nr) : tr.int(n)));
  const filter = new FilterIndex(n, nr, [triples]);
  const ranks = async (engine: typeof cpu) => rankLinkPrediction({ scorer, entities: tables.entities, relations: tables.relations, numEntities: n, numRelations: nr, triples, filter, method: 'matmul', engine });
  const ra = await ranks(cpu);
  const rb = await ranks(gpu);
  let differing = 0;
  for (const dir of ['head', 'tail'] as const) {
    for (let k = 0; k < 500; k++) if (ra[dir]!.optimistic[k] !== rb[dir]!.optimistic[k] || ra[dir]!.pessimistic[k] !== rb[dir]!.pessimistic[k]) differing++;
  }
  console.log(`ranks: ${differing} of 1000 differ`);
  // Float32 sums in another order may swap near-ties; more than a handful is a bug.
  ok = ok && differing <= 5;
  gpu.dispose();
  cpu.dispose();
  console.log(ok ? 'gpu_check: OK' : 'gpu_check: MISMATCH');
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
