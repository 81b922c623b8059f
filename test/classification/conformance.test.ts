import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { clsModelNames, clsPluginNames, clsModelSpec } from '../../baselines/classification/registry';
import * as common from '../../baselines/classification/common';
import { mixedTargets } from '../../baselines/classification/common';
import { ClsTrainer } from '../../src/app/classification/train';
import type { ClsConfig } from '../../src/app/classification/config';
import type { FusionOutput, StepContext, TrainerHost } from '../../src/classification/types';
import { Rng } from '../../src/rng';
import { tinyConfig, tinyData, useWasm } from './helpers';

/*
 * Conformance of EVERY registered classification model and plug-in (the loops run over the
 * registries, so a new entry is covered without editing this file): output shapes, row-wise
 * fusion (the trainer fuses IMML's mixed rows together with the batch), gradients of one
 * training step against central differences, no leaked tensors, determinism for a seed, and
 * the IMML plug-in on each model.
 */

/** What a test needs of the trainer's private step (run with an optimiser that only records). */
interface Steppable {
  step(opt: { step(g: Record<string, Float32Array>): void; begunElsewhere(name: string): boolean }, epoch: number, stepIndex: number, rows: Int32Array): number;
  host(opt: { offload(name: string): undefined }): TrainerHost;
}

const data = () => tinyData({ attributes: true });
const ROWS = Int32Array.from({ length: 12 }, (_, i) => i);

/** A trainer of `model` + `plugins` whose hooks that run before training have run. */
async function ready(model: string, plugins: string[], over: Partial<ClsConfig> = {}): Promise<ClsTrainer> {
  // no QMF ranking term in gradient checks: its targets come from the current losses, held
  // constant by autodiff (as the official code) but moved by a finite-difference perturbation
  const t = new ClsTrainer(tinyConfig({ model, plugins, seed: 11, epochs: 1, qmfRankWeight: 0, ...over }), data());
  // every parameter's gradient is checked here, so none is stepped on another thread
  const host = (t as unknown as Steppable).host({ offload: () => undefined });
  for (const p of t.plugins) await p.beforeTraining?.(host);
  return t;
}

/** Loss and parameter gradients of one training step at the trainer's current parameters (no update applied). */
function stepOnce(t: ClsTrainer): { loss: number; grads: Record<string, Float32Array> } {
  let grads: Record<string, Float32Array> = {};
  const loss = (t as unknown as Steppable).step({ step: (g) => (grads = g), begunElsewhere: () => false }, 1, 0, ROWS);
  return { loss, grads };
}

const cases: { model: string; plugins: string[] }[] = [
  ...clsModelNames().flatMap((model) => [{ model, plugins: [] }, { model, plugins: ['imml'] }]),
  ...clsPluginNames().filter((p) => p !== 'imml').map((p) => ({ model: 'qmf', plugins: [p] })),
];

describe('classification conformance: every registered model and plug-in', function () {
  this.timeout(120000);
  before(useWasm);

  it('covers every registry entry', () => {
    const covered = new Set(cases.map((c) => c.model));
    const plugins = new Set(cases.flatMap((c) => c.plugins));
    expect(clsModelNames().filter((m) => !covered.has(m))).to.deep.equal([]);
    expect(clsPluginNames().filter((p) => !plugins.has(p))).to.deep.equal([]);
  });

  for (const model of clsModelNames()) {
    it(`${model}: scores and parts have one row per sample, and the fusion is row-wise`, () => {
      const t = new ClsTrainer(tinyConfig({ model }), data());
      const rng = new Rng(3);
      const ctx = (B: number): StepContext => ({ epoch: 0, training: false, rows: ROWS.subarray(0, B), labels: new Int32Array(B), numClasses: 2, sink: new Map() });
      const rand = (rows: number) => t.encoders.map((e) => tf.tensor2d(Float32Array.from({ length: rows * e.dim }, () => rng.normal()), [rows, e.dim]));
      tf.tidy(() => {
        const p = t.store.tensors();
        const a = rand(3);
        const b = rand(4);
        const both = t.model.fuse(a.map((x, m) => tf.concat([x, b[m]], 0) as tf.Tensor2D), p, ctx(7));
        const alone = [t.model.fuse(a, p, ctx(3)), t.model.fuse(b, p, ctx(4))];
        expect(both.scores.shape).to.deep.equal([7, 2]);
        for (const [k, v] of Object.entries(both.parts)) expect(v.shape[0], `part ${k}`).to.equal(7);
        const rowsOf = (o: FusionOutput, k?: string) => Array.from((k ? o.parts[k] : o.scores).dataSync());
        for (const k of [undefined, ...Object.keys(both.parts)]) {
          const joint = rowsOf(both, k);
          const split = [...rowsOf(alone[0], k), ...rowsOf(alone[1], k)];
          expect(joint.length).to.equal(split.length);
          joint.forEach((v, i) => expect(v, `${k ?? 'scores'}[${i}]`).to.be.closeTo(split[i], 1e-5 * (1 + Math.abs(split[i]))));
        }
      });
    });
  }

  for (const c of cases) {
    const name = [c.model, ...c.plugins].join(' + ');

    it(`${name}: step gradients match central differences of the step loss`, async () => {
      // Stop-gradients (QMF's detached confidences) become identities here: central differences
      // follow every path, so autodiff must too for the two to be comparable.
      const exports = common as unknown as { stopGradient: unknown };
      const stop = exports.stopGradient;
      exports.stopGradient = (x: tf.Tensor) => tf.clone(x);
      try {
        const base = await ready(c.model, c.plugins);
        const { loss, grads } = stepOnce(base);
        expect(Number.isFinite(loss)).to.equal(true);
        const rng = new Rng(17);
        const tol = (fd: number) => 3e-3 + 5e-2 * Math.abs(fd);
        let checked = 0;
        let tried = 0;
        for (const param of base.store.names()) {
          const size = base.store.get(param).data.length;
          for (let s = 0; s < 2; s++) {
            const k = rng.int(size);
            const fdAt = async (eps: number) => {
              const at = async (delta: number) => {
                const t = await ready(c.model, c.plugins);
                t.store.get(param).data[k] += delta;
                return stepOnce(t).loss;
              };
              return ((await at(eps)) - (await at(-eps))) / (2 * eps);
            };
            tried++;
            // small steps: MMBT's layer norms of 0.02-scale embeddings are strongly curved
            const coarse = await fdAt(2.5e-4);
            const fine = await fdAt(6.25e-5);
            const g = grads[param][k];
            const near = (fd: number) => Math.abs(g - fd) <= tol(fd);
            // a ReLU kink inside the interval shows as differences that disagree across steps:
            // no reference at this coordinate (a wrong gradient gives agreeing ones, and fails)
            if (!near(fine) && !near(coarse) && Math.abs(coarse - fine) > tol(fine)) continue;
            expect(near(fine) || near(coarse), `${param}[${k}]: autodiff ${g}, differences ${coarse} (2.5e-4), ${fine} (6.25e-5)`).to.equal(true);
            checked++;
          }
        }
        expect(checked, `${checked} of ${tried} coordinates had a smooth reference`).to.be.at.least(Math.ceil(tried / 2));
      } finally {
        exports.stopGradient = stop;
      }
    });

    it(`${name}: a training step and an epoch leave no tensor behind`, async () => {
      const t = await ready(c.model, c.plugins, { qmfRankWeight: 1 });
      stepOnce(t); // first-use caches of tfjs kernels
      const before = tf.memory().numTensors;
      stepOnce(t);
      expect(tf.memory().numTensors, 'after a step').to.equal(before);
      await t.fit();
      expect(tf.memory().numTensors, 'after an epoch with evaluation').to.equal(before);
    });

    it(`${name}: the same seed gives the same loss, gradients and trained parameters; another seed does not`, async () => {
      const run = async (seed: number) => {
        const t = await ready(c.model, c.plugins, { seed, qmfRankWeight: 1, epochs: 2 });
        const step = stepOnce(t);
        await t.fit();
        return { step, params: t.store.names().map((n) => Array.from(t.store.get(n).data)) };
      };
      const a = await run(4);
      const b = await run(4);
      const other = await run(5);
      expect(b.step.loss).to.equal(a.step.loss);
      expect(Object.keys(b.step.grads).map((k) => Array.from(b.step.grads[k]))).to.deep.equal(Object.keys(a.step.grads).map((k) => Array.from(a.step.grads[k])));
      expect(b.params).to.deep.equal(a.params);
      expect(other.params).to.not.deep.equal(a.params);
    });
  }

  for (const model of clsModelNames().filter((m) => clsModelSpec(m).minModalities >= 2)) {
    it(`${model} + IMML: fusing the mixed rows with the batch gives the loss of fusing them alone`, async () => {
      const joint = await ready(model, ['imml'], { qmfRankWeight: 1 });
      const alone = await ready(model, ['imml'], { qmfRankWeight: 1 });
      // without appendRows the plug-in draws the same pairs and fuses the mix in a second call
      for (const p of alone.plugins) (p as { appendRows?: unknown }).appendRows = undefined;
      const a = stepOnce(joint);
      const b = stepOnce(alone);
      expect(a.loss).to.be.closeTo(b.loss, 1e-5 * (1 + Math.abs(b.loss)));
      for (const k of Object.keys(b.grads)) b.grads[k].forEach((g, i) => expect(a.grads[k][i], `${k}[${i}]`).to.be.closeTo(g, 1e-5 + 1e-4 * Math.abs(g)));
      expect((joint.plugins[0].report?.().immlMeanBeta as number) > 0).to.equal(true);
    });
  }

  it('soft targets built on the host are the floats of lambda onehot(yA) + (1 - lambda) onehot(yB)', () => {
    const rng = new Rng(2);
    const rows = 50;
    const C = 4;
    const yA = Int32Array.from({ length: rows }, () => rng.int(C));
    const yB = Int32Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? yA[i] : rng.int(C)));
    const lambda = Float32Array.from({ length: rows }, () => rng.next());
    const got = tf.tidy(() => Array.from(mixedTargets(yA, yB, lambda, C).dataSync()));
    const want = tf.tidy(() => {
      const lam = tf.tensor2d(lambda, [rows, 1]);
      const oh = (y: Int32Array) => tf.oneHot(tf.tensor1d(y, 'int32'), C).toFloat();
      return Array.from(tf.add(tf.mul(lam, oh(yA)), tf.mul(tf.sub(1, lam), oh(yB))).dataSync());
    });
    expect(got).to.deep.equal(want);
  });
});
