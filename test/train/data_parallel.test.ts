import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { selectBackend } from '../../src/backend';
import { resolveConfig, runTraining } from '../../src/app/run';
import type { RunConfig } from '../../src/app/run_config';
import { createScorer } from '../../baselines/kg/registry';
import { createLoss } from '../../src/losses';
import { createOptimizer, applyRowRange, type OptimizerName } from '../../src/optim';
import { NegativeSampler } from '../../src/sampling';
import { Rng } from '../../src/rng';
import type { Scorer, ScorerOptions, TripleKernel } from '../../src/scorer';
import { createTables, type KgTables } from '../../src/train/model';
import { MIN_PARALLEL_WORK, NegativeSamplingStep } from '../../src/train/negative_sampling';
import { LockstepWorkerError } from '../../src/lockstep_pool';
import type { RegularizerKind } from '../../src/train/regularizer';

/** A random KG (40 entities, 3 relations, 300 / 15 / 15 triples) large enough for batches that go to the threads. */
function syntheticDataset(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-dp-data-'));
  const r = new Rng(21);
  const seen = new Set<string>();
  const lines: string[] = [];
  while (lines.length < 330) {
    const line = `e${Math.floor(r.next() * 40)}\tr${Math.floor(r.next() * 3)}\te${Math.floor(r.next() * 40)}`;
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  fs.writeFileSync(path.join(dir, 'train.tsv'), lines.slice(0, 300).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'valid.tsv'), lines.slice(300, 315).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'test.tsv'), lines.slice(315).join('\n') + '\n');
  return dir;
}
const DIST = path.join(__dirname, '..', '..');

interface Case {
  model: string;
  options: ScorerOptions;
  loss: string;
  optimizer?: OptimizerName;
  regularizer?: RegularizerKind;
}

/** Every structural scorer with each loss family (margin, self-adversarial NSSA, softplus / BCE). */
const CASES: Case[] = [];
for (const [model, options] of [
  ['transe', { dim: 24, norm: 1 }], ['transe', { dim: 24, norm: 2 }], ['distmult', { dim: 24 }], ['complex', { dim: 12 }], ['rotate', { dim: 12, gamma: 6 }],
] as [string, ScorerOptions][]) {
  for (const loss of ['margin', 'nssa', 'softplus', 'bce']) CASES.push({ model, options, loss });
}
CASES.push({ model: 'complex', options: { dim: 12 }, loss: 'softplus', optimizer: 'adam', regularizer: 'n3' });
CASES.push({ model: 'transe', options: { dim: 24, norm: 1 }, loss: 'margin', optimizer: 'adam', regularizer: 'l2' });

const NE = 200;
const NR = 7;

function makeStep(c: Case, workers: number, scorer: Scorer = createScorer(c.model, c.options)): { step: NegativeSamplingStep; tables: KgTables } {
  const rng = new Rng(11);
  const tables = createTables(scorer, NE, NR, rng.derive('init'), 0);
  const opt = c.optimizer ?? 'adagrad';
  const k = 3;
  const step = new NegativeSamplingStep({
    scorer, tables, loss: createLoss(c.loss as 'margin', { margin: 1, adversarialTemperature: 1 }),
    sampler: new NegativeSampler(NE, k, 'uniform', undefined, rng.derive('sampler')), negatives: k,
    entityOptimizer: createOptimizer(opt, NE, scorer.entityWidth, { lr: 0.05, weightDecay: c.optimizer === 'adam' ? 1e-3 : 0 }),
    relationOptimizer: createOptimizer(opt, NR, scorer.relationWidth, { lr: 0.05 }),
    regularizer: c.regularizer ?? 'none', regWeight: c.regularizer ? 0.01 : 0,
    complexEntities: scorer.entityWidth !== scorer.relationWidth || c.model === 'complex', complexRelations: c.model === 'complex',
    useKernel: true, workers, minParallelWork: 0,
  });
  return { step, tables };
}

/** Batches with repeated rows (a small entity set) and self-loops, the last one shorter. */
function batches(): { batch: Int32Array; B: number }[] {
  const r = new Rng(5);
  const out: { batch: Int32Array; B: number }[] = [];
  for (let it = 0; it < 8; it++) {
    const B = it === 7 ? 37 : 96;
    const batch = new Int32Array(3 * B);
    for (let i = 0; i < B; i++) {
      batch[3 * i] = Math.floor(r.next() * NE);
      batch[3 * i + 1] = Math.floor(r.next() * NR);
      batch[3 * i + 2] = i % 9 === 0 ? batch[3 * i] : Math.floor(r.next() * NE);
    }
    out.push({ batch, B });
  }
  return out;
}

/** Claims worker threads ran over all `train` calls: the determinism tests mean something only if > 0. */
let workerClaims = 0;

function train(c: Case, workers: number): { losses: number[]; tables: KgTables; threads: number } {
  const { step, tables } = makeStep(c, workers);
  try {
    const losses = batches().map(({ batch, B }) => step.run(batch, B));
    workerClaims += (step as unknown as { parallel?: { workerClaims: number } }).parallel?.workerClaims ?? 0;
    return { losses, tables, threads: step.threads };
  } finally {
    step.dispose();
  }
}

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('data-parallel negative-sampling training (worker threads)', () => {
  for (const c of CASES) {
    const name = `${c.model} ${JSON.stringify(c.options)} ${c.loss}${c.optimizer ? ' ' + c.optimizer : ''}${c.regularizer ? ' ' + c.regularizer : ''}`;
    it(`${name}: 2 and 3 threads give the one-thread tables and losses bit for bit`, () => {
      const one = train(c, 1);
      expect(one.threads).to.equal(1);
      for (const workers of [2, 3]) {
        const many = train(c, workers);
        expect(many.threads, 'really ran on worker threads').to.equal(workers);
        expect(many.losses).to.deep.equal(one.losses);
        expect(bytes(many.tables.entities).equals(bytes(one.tables.entities)), `entities, ${workers} threads`).to.equal(true);
        expect(bytes(many.tables.relations).equals(bytes(one.tables.relations)), `relations, ${workers} threads`).to.equal(true);
      }
      expect(one.losses.every(Number.isFinite)).to.equal(true);
    });
  }

  it('the worker threads did part of the work in the runs above', () => {
    expect(workerClaims).to.be.greaterThan(0);
  });

  for (const [name, kernel] of [
    ['transe L1', createScorer('transe', { dim: 19, norm: 1 })], ['transe L2', createScorer('transe', { dim: 19, norm: 2 })],
    ['distmult', createScorer('distmult', { dim: 19 })], ['complex', createScorer('complex', { dim: 19 })], ['rotate', createScorer('rotate', { dim: 19, gamma: 3 })],
  ] as [string, Scorer][]) {
    it(`${name}: backwardSlice over any split of the coordinates adds what backward adds, bit for bit`, () => {
      const s = kernel;
      const k = s.kernel!;
      const We = s.entityWidth;
      const Wr = s.relationWidth;
      const r = new Rng(2);
      const E = Float32Array.from({ length: 3 * We }, () => r.normal());
      const R = Float32Array.from({ length: 2 * Wr }, () => r.normal());
      const triples = [[0, 0, 1], [2, 1, 2], [1, 1, 0], [2, 0, 0]];
      const whole = { gE: new Float32Array(3 * We), gR: new Float32Array(2 * Wr) };
      const split = { gE: new Float32Array(3 * We), gR: new Float32Array(2 * Wr) };
      const cuts = [0, 3, 4, 11, 19];
      const gs = triples.map(() => r.normal());
      // A kernel with its own memory (RotatE's) takes the tables first and hands its gradients over after.
      k.beginBatch?.(E, R);
      triples.forEach(([h, rel, t], i) => k.backward(E, h * We, R, rel * Wr, t * We, gs[i], whole.gE, h * We, t * We, whole.gR, rel * Wr));
      k.endBackward?.(whole.gE, 3, whole.gR, 2, 0, 19);
      triples.forEach(([h, rel, t], j) => {
        const score = k.score(E, h * We, R, rel * Wr, t * We);
        for (let i = 0; i + 1 < cuts.length; i++) {
          k.backwardSlice!(E, h * We, R, rel * Wr, t * We, gs[j], split.gE, h * We, t * We, split.gR, rel * Wr, cuts[i], cuts[i + 1], score);
        }
      });
      for (let i = 0; i + 1 < cuts.length; i++) k.endBackward?.(split.gE, 3, split.gR, 2, cuts[i], cuts[i + 1]);
      expect(k.coordinates).to.equal(19);
      expect(bytes(split.gE).equals(bytes(whole.gE))).to.equal(true);
      expect(bytes(split.gR).equals(bytes(whole.gR))).to.equal(true);
      expect(whole.gE.some((v) => v !== 0)).to.equal(true);
    });
  }

  it("each scorer's workerKernel recipe rebuilds the same kernel floats and constraint", () => {
    for (const s of [createScorer('transe', { dim: 6 }), createScorer('transe', { dim: 6, norm: 2, normalizeEntities: false }), createScorer('distmult', { dim: 6 }), createScorer('complex', { dim: 6 }), createScorer('rotate', { dim: 6, gamma: 2 })]) {
      const rec = s.workerKernel!;
      const made = (require(rec.module) as Record<string, (a: unknown) => { kernel: TripleKernel; constrainEntities?: unknown }>)[rec.factory](rec.args);
      const r = new Rng(4);
      const E = Float32Array.from({ length: 2 * s.entityWidth }, () => r.normal());
      const R = Float32Array.from({ length: s.relationWidth }, () => r.normal());
      made.kernel.beginBatch?.(E, R);
      s.kernel!.beginBatch?.(E, R);
      expect(made.kernel.score(E, 0, R, 0, s.entityWidth), s.name).to.equal(s.kernel!.score(E, 0, R, 0, s.entityWidth));
      expect(made.constrainEntities === undefined, `${s.name} constraint`).to.equal(s.constrainEntities === undefined);
    }
  });

  for (const name of ['adagrad', 'adam'] as OptimizerName[]) {
    it(`${name}: applyRowRange over disjoint slot ranges equals one sparse step`, () => {
      const width = 5;
      const rows = Int32Array.from([4, 0, 7, 2]);
      const r = new Rng(9);
      const grads = Float32Array.from({ length: rows.length * width }, () => r.normal());
      const a = createOptimizer(name, 8, width, { lr: 0.1, weightDecay: 0.01 });
      const b = createOptimizer(name, 8, width, { lr: 0.1, weightDecay: 0.01 });
      const ta = Float32Array.from({ length: 8 * width }, () => r.normal());
      const tb = ta.slice();
      const shared = b.shareState!();
      for (let step = 0; step < 3; step++) {
        a.step(ta, width, rows, rows.length, grads);
        const scalar = b.beginRowStep!();
        applyRowRange(shared, scalar, tb, width, rows, 3, 4, grads);
        applyRowRange(shared, scalar, tb, width, rows, 0, 3, grads);
      }
      expect(bytes(tb).equals(bytes(ta))).to.equal(true);
      expect(JSON.stringify(b.state(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))).to.equal(JSON.stringify(a.state(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
      expect(shared.arrays[0].buffer).to.be.instanceOf(SharedArrayBuffer);
    });
  }

  describe('trainModel through the CLI config: --workers 1 and 2 give the same run', () => {
    let data = '';
    before(async () => {
      await selectBackend('wasm');
      data = syntheticDataset();
    });
    after(() => fs.rmSync(data, { recursive: true, force: true }));
    const quiet = { quiet: true, log: () => {} };
    for (const [model, loss, extra] of [
      ['transe', 'margin', {}], ['rotate', 'nssa', { margin: 6 }], ['distmult', 'softplus', { regularizer: 'n3', regWeight: 1e-3 }], ['complex', 'bce', {}],
    ] as [string, string, Partial<RunConfig>][]) {
      it(`${model} with ${loss}: identical metrics and model-best.bin`, async () => {
        const runs = [];
        for (const workers of [1, 2]) {
          const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-dp-'));
          const config = resolveConfig({}, {
            dataset: data, model, training: 'negative-sampling', loss, dim: 32, epochs: 4, batchSize: 64, negatives: 32, evalEvery: 2, patience: 0, backend: 'wasm', out, workers, seed: 5, ...extra,
          } as Partial<RunConfig>);
          const metrics = await runTraining(config, quiet);
          runs.push({ metrics, best: fs.readFileSync(path.join(out, 'model-best.bin')) });
          fs.rmSync(out, { recursive: true, force: true });
        }
        const numbers = (m: unknown): string => JSON.stringify(m, (k, v) => (k === 'seconds' ? undefined : v));
        expect(numbers(runs[1].metrics.test)).to.equal(numbers(runs[0].metrics.test));
        expect(numbers(runs[1].metrics.valid)).to.equal(numbers(runs[0].metrics.valid));
        expect(runs[0].metrics.test.both.mrr).to.be.within(0, 1);
        expect(64 * 33 * 32, 'batches go to the threads').to.be.at.least(MIN_PARALLEL_WORK);
        expect(runs[1].best.equals(runs[0].best)).to.equal(true);
      });
    }
  });

  it('resume with another --workers continues the run bit for bit (workers is resume-safe)', async () => {
    await selectBackend('wasm');
    const quiet = { quiet: true, log: () => {} };
    const data = syntheticDataset();
    const config = (epochs: number, workers: number): RunConfig => resolveConfig({}, {
      dataset: data, model: 'transe', training: 'negative-sampling', loss: 'margin', dim: 32, epochs, batchSize: 64, negatives: 32, evalEvery: 2, patience: 0,
      backend: 'wasm', out: fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-dp-resume-')), workers, seed: 9,
    } as Partial<RunConfig>);
    const full = config(4, 1);
    await runTraining(full, quiet);
    // 2 epochs continued to 4: the shorter run's final evaluation (epoch 2) is one the 4-epoch schedule makes too.
    const part = config(2, 2);
    await runTraining(part, quiet);
    await runTraining({ ...part, epochs: 4, workers: 1 }, { ...quiet, resume: true });
    const a = fs.readFileSync(path.join(full.out, 'model-best.bin'));
    const b = fs.readFileSync(path.join(part.out, 'model-best.bin'));
    expect(b.equals(a)).to.equal(true);
    for (const dir of [full.out, part.out, data]) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('worker threads: lifetime and failures', () => {
    const c: Case = { model: 'transe', options: { dim: 64, norm: 1 }, loss: 'margin' };
    /** TransE whose worker threads use the failing fixture kernel; the main thread's kernel is slowed so the workers get claims. */
    function failingScorer(mode: string): Scorer {
      const base = createScorer('transe', { dim: 64, norm: 1 });
      const inner = base.kernel!;
      const slow: TripleKernel = {
        coordinates: inner.coordinates,
        score: (...a) => {
          const until = performance.now() + 0.05;
          while (performance.now() < until);
          return inner.score(...a);
        },
        backward: (...a) => inner.backward(...a),
        backwardSlice: (...a) => {
          const until = performance.now() + 2;
          while (performance.now() < until);
          inner.backwardSlice!(...a);
        },
      };
      return Object.assign(Object.create(Object.getPrototypeOf(base)), base, {
        kernel: slow,
        workerKernel: { module: require.resolve('./failing_kernel'), factory: 'failingKernel', args: { dim: 64, mode } },
      }) as Scorer;
    }

    for (const [mode, expected] of [['throw', 'injected kernel failure'], ['exit', 'exited unexpectedly'], ['setup', 'injected setup failure']]) {
      it(`a worker that fails (${mode}) stops the step with one clear error, every later batch too, and disposes cleanly`, async () => {
        const { step } = makeStep(c, 2, failingScorer(mode));
        const { batch, B } = batches()[0];
        let first: Error | undefined;
        for (let i = 0; i < 5 && !first; i++) {
          try {
            step.run(batch, B);
          } catch (err) {
            first = err as Error;
          }
        }
        expect(first, 'an error surfaced').to.be.instanceOf(LockstepWorkerError);
        expect(first!.message).to.contain(expected);
        expect(() => step.run(batch, B)).to.throw(LockstepWorkerError, expected);
        step.dispose();
      });
    }

    it('dispose ends every worker thread', async () => {
      const { step } = makeStep(c, 3);
      const { batch, B } = batches()[0];
      step.run(batch, B);
      step.dispose();
      const exited = (step as unknown as { parallel: { exited: Promise<void> } }).parallel.exited;
      await Promise.race([exited, new Promise((_r, reject) => setTimeout(() => reject(new Error('threads still running 10 s after dispose')), 10_000))]);
    });

    it('a process with a step, disposed or not, exits on its own', () => {
      for (const dispose of [true, false]) {
        const script = `
          const { NegativeSamplingStep } = require(${JSON.stringify(path.join(DIST, 'src/train/negative_sampling'))});
          const { createScorer } = require(${JSON.stringify(path.join(DIST, 'baselines/kg/registry'))});
          const { createTables } = require(${JSON.stringify(path.join(DIST, 'src/train/model'))});
          const { createOptimizer } = require(${JSON.stringify(path.join(DIST, 'src/optim'))});
          const { createLoss } = require(${JSON.stringify(path.join(DIST, 'src/losses'))});
          const { NegativeSampler } = require(${JSON.stringify(path.join(DIST, 'src/sampling'))});
          const { Rng } = require(${JSON.stringify(path.join(DIST, 'src/rng'))});
          const scorer = createScorer('transe', { dim: 16 });
          const tables = createTables(scorer, 50, 3, new Rng(1), 0);
          const step = new NegativeSamplingStep({ scorer, tables, loss: createLoss('margin', {}), sampler: new NegativeSampler(50, 1, 'uniform', undefined, new Rng(2)),
            negatives: 1, entityOptimizer: createOptimizer('adagrad', 50, 16, { lr: 0.1 }), relationOptimizer: createOptimizer('adagrad', 3, 16, { lr: 0.1 }),
            regularizer: 'none', regWeight: 0, complexEntities: false, complexRelations: false, useKernel: true, workers: 2 });
          step.run(Int32Array.from([0, 0, 1, 2, 1, 3]), 2);
          if (step.threads !== 2) throw new Error('no worker thread');
          ${dispose ? 'step.dispose();' : ''}
        `;
        const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
        expect(r.error, `dispose=${dispose}: ${r.stderr}`).to.equal(undefined);
        expect(r.status, r.stderr).to.equal(0);
      }
    });
  });
});
