import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Rng } from '../../src/rng';
import { mdkeLoss } from '../../imml/losses';
import { fusedMdkeLoss, startFusedMdke, type ProjectionHead } from '../../imml/mdke_fused';
import { addLateLossTerm, lossAndGrads, ParamStore } from '../../src/params';
import { GraphThread } from '../../src/dense/graph_thread';
import { mdkeTwoGraph } from '../../imml/mdke_graph';
import { createEngine } from '../../src/dense/select';
import { setTensorEngine } from '../../src/dense/tf_loss';
import type { DenseHead } from '../../src/dense/head';
import { createOptimizer } from '../../src/optim';

/*
 * The fused L_mdke op (imml/mdke_fused.ts) against tfjs autodiff of the unfused definition
 * mdkeLoss(P^m(h^m)) (value and every gradient), with tfjs products and with the ORT engine, and
 * against central differences of its own value.
 */

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

interface Problem { hs: Float32Array[]; dims: number[]; heads: Float32Array[][]; n: number; D: number }

function problem(seed: number, n: number, dims: number[], D: number): Problem {
  const rng = new Rng(seed);
  return {
    n, D, dims,
    hs: dims.map((d) => randn(rng, n * d)),
    // b1 shifted so that some ReLU units are off
    heads: dims.map((d) => [randn(rng, d * D, 1 / Math.sqrt(d)), randn(rng, D, 0.3), randn(rng, D * D, 1 / Math.sqrt(D)), randn(rng, D, 0.1)]),
  };
}

/** loss and gradients (inputs then W1, b1, W2, b2 per head) of fused or unfused L_mdke. */
function lossAndGradsOf(pb: Problem, tau: number, fused: boolean, weight = 1, opWeight = 1): { loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const xs = [...pb.hs.map((h, m) => tf.tensor2d(h, [pb.n, pb.dims[m]])), ...pb.heads.flatMap((hd, m) => [
      tf.tensor2d(hd[0], [pb.dims[m], pb.D]), tf.tensor1d(hd[1]), tf.tensor2d(hd[2], [pb.D, pb.D]), tf.tensor1d(hd[3]),
    ])];
    const M = pb.dims.length;
    const f = (...a: tf.Tensor[]): tf.Scalar => {
      const heads: ProjectionHead[] = Array.from({ length: M }, (_, m) => ({
        W1: a[M + 4 * m] as tf.Tensor2D, b1: a[M + 4 * m + 1] as tf.Tensor1D, W2: a[M + 4 * m + 2] as tf.Tensor2D, b2: a[M + 4 * m + 3] as tf.Tensor1D,
      }));
      const hs = a.slice(0, M) as tf.Tensor2D[];
      if (fused) return tf.mul(weight, fusedMdkeLoss(hs, heads, tau, opWeight)) as tf.Scalar;
      const xi = hs.map((h, m) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h, heads[m].W1), heads[m].b1)), heads[m].W2), heads[m].b2) as tf.Tensor2D);
      return tf.mul(weight, mdkeLoss(xi, tau)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(xs);
    return { loss: (value.dataSync() as Float32Array)[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

/** A one-thread ORT engine, or the test skipped with the reason (onnxruntime-node did not load). */
function ortOrSkip(ctx: Mocha.Context): DenseHead {
  try {
    return createEngine('ort-cpu', 1);
  } catch (err) {
    console.log(`      (skipped: ${(err as Error).message.split('\n')[0]})`);
    return ctx.skip();
  }
}

function expectAllClose(a: Float32Array, b: Float32Array, atol: number, rtol: number, what: string): void {
  expect(a.length, what).to.equal(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i] - b[i]) > atol + rtol * Math.abs(b[i])) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

describe('imml/mdke_fused: fused L_mdke op', () => {
  for (const dims of [[6, 5], [4, 7, 3]]) {
    it(`equals tfjs autodiff of mdkeLoss(P^m(h^m)), M = ${dims.length} (value and all gradients)`, () => {
      const pb = problem(11 + dims.length, 9, dims, 8);
      const ref = lossAndGradsOf(pb, 0.5, false);
      const got = lossAndGradsOf(pb, 0.5, true);
      expect(got.loss).to.be.closeTo(ref.loss, 1e-4 * Math.abs(ref.loss) + 1e-5);
      ref.grads.forEach((g, i) => expectAllClose(got.grads[i], g, 1e-5, 1e-3, `grad ${i}`));
    });
  }

  it('two modalities at a temperature below the fixed-shift bound (row-maximum path) equal tfjs autodiff too', () => {
    // 2 / tau = 800 > 600: the shared fixed shift could underflow, so the per-pair path runs
    const pb = problem(21, 9, [6, 5], 8);
    for (const tau of [0.0025, 0.5]) {
      const ref = lossAndGradsOf(pb, tau, false);
      const got = lossAndGradsOf(pb, tau, true);
      expect(got.loss, `tau ${tau}`).to.be.closeTo(ref.loss, 1e-4 * Math.abs(ref.loss) + 1e-4);
      ref.grads.forEach((g, i) => expectAllClose(got.grads[i], g, 1e-4, 2e-3, `tau ${tau} grad ${i}`));
    }
  });

  it('gives the same value and gradients with its products on the ORT engine', function () {
    const head = ortOrSkip(this);
    const pb = problem(5, 12, [6, 5], 8);
    const viaTfjs = lossAndGradsOf(pb, 0.3, true);
    setTensorEngine(head);
    let viaOrt: typeof viaTfjs;
    try {
      viaOrt = lossAndGradsOf(pb, 0.3, true);
    } finally {
      setTensorEngine(undefined);
      head.dispose();
    }
    expect(viaOrt.loss).to.be.closeTo(viaTfjs.loss, 1e-5);
    viaTfjs.grads.forEach((g, i) => expectAllClose(viaOrt.grads[i], g, 1e-5, 1e-4, `grad ${i}`));
  });

  it('with two modalities on ORT runs as one graph, equal to tfjs autodiff under an upstream gradient; below the float32 bound it does not', function () {
    const head = ortOrSkip(this);
    let graphRuns = 0;
    const run = head.runGraph!.bind(head);
    head.runGraph = (...a) => {
      graphRuns++;
      return run(...a);
    };
    const pb = problem(8, 16, [7, 5], 12);
    // tau 0.5: 2 / tau = 4, the graph; tau 0.02: 2 / tau = 100 > 80, the float64 kernel
    for (const [tau, runs] of [[0.5, 1], [0.02, 0]] as const) {
      const ref = lossAndGradsOf(pb, tau, false, 0.3);
      setTensorEngine(head);
      graphRuns = 0;
      let got: typeof ref;
      try {
        got = lossAndGradsOf(pb, tau, true, 0.3);
      } finally {
        setTensorEngine(undefined);
      }
      expect(graphRuns, `tau ${tau}: graph runs`).to.equal(runs);
      // the op's own weight (IMML passes gamma1) gives the same value and gradients at upstream gradient 1
      setTensorEngine(head);
      let inOp: typeof ref;
      try {
        inOp = lossAndGradsOf(pb, tau, true, 1, 0.3);
      } finally {
        setTensorEngine(undefined);
      }
      expect(inOp.loss, `tau ${tau}, weight in the op`).to.be.closeTo(ref.loss, 1e-5 * Math.abs(ref.loss) + 1e-5);
      ref.grads.forEach((g, i) => expectAllClose(inOp.grads[i], g, 1e-5, 1e-3, `tau ${tau} weight in the op, grad ${i}`));
      expect(got.loss, `tau ${tau}`).to.be.closeTo(ref.loss, 1e-5 * Math.abs(ref.loss) + 1e-5);
      ref.grads.forEach((g, i) => expectAllClose(got.grads[i], g, 1e-5, 1e-3, `tau ${tau} grad ${i}`));
    }
    head.dispose();
  });

  it('its gradients match central differences of its value', () => {
    const pb = problem(3, 7, [5, 4], 6);
    const tau = 0.5;
    const base = lossAndGradsOf(pb, tau, true);
    const arrays = [...pb.hs, ...pb.heads.flat()];
    const rng = new Rng(9);
    const eps = 1e-2;
    let checked = 0;
    arrays.forEach((arr, a) => {
      for (let t = 0; t < 4; t++) {
        const k = Math.floor(rng.next() * arr.length);
        const x0 = arr[k];
        arr[k] = x0 + eps;
        const up = lossAndGradsOf(pb, tau, true).loss;
        arr[k] = x0 - eps;
        const down = lossAndGradsOf(pb, tau, true).loss;
        arr[k] = x0;
        const fd = (up - down) / (2 * eps);
        expect(base.grads[a][k], `array ${a}[${k}]`).to.be.closeTo(fd, 5e-3 + 2e-2 * Math.abs(fd));
        checked++;
      }
    });
    expect(checked).to.equal(4 * arrays.length);
  });

  it('is 0 with one modality and refuses a head count that differs from the modalities', () => {
    expect((fusedMdkeLoss([tf.zeros([3, 2]) as tf.Tensor2D], [{ W1: tf.zeros([2, 2]), b1: tf.zeros([2]), W2: tf.zeros([2, 2]), b2: tf.zeros([2]) }], 0.5).dataSync() as Float32Array)[0]).to.equal(0);
    expect(() => fusedMdkeLoss([tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([3, 2]) as tf.Tensor2D], [], 0.5)).to.throw(/2 modalities but 0 projection heads/);
  });
  it('on the graph thread: the op enters the tape with 0, its gradients equal the same-thread run bit for bit, its late value joins the loss', function () {
    const head = ortOrSkip(this);
    const pb = problem(31, 16, [7, 5], 12);
    const store = new ParamStore();
    pb.heads.forEach((hd, m) => ['W1', 'b1', 'W2', 'b2'].forEach((w, j) => store.add(`${w}${m}`, j === 0 ? [pb.dims[m], pb.D] : j === 2 ? [pb.D, pb.D] : [pb.D], (d) => d.set(hd[j]))));
    const run = (offThread: boolean): { loss: number; grads: Float32Array[]; forward: number; late: boolean } => {
      let forward = NaN;
      let late = false;
      const hs = pb.hs.map((h, m) => tf.tensor2d(h, [pb.n, pb.dims[m]]));
      const r = lossAndGrads(store, hs, (ins, p) => {
        const heads = [0, 1].map((m) => ({ W1: p[`W1${m}`], b1: p[`b1${m}`], W2: p[`W2${m}`], b2: p[`b2${m}`] }) as ProjectionHead);
        const pending = startFusedMdke(ins as tf.Tensor2D[], heads, 0.5, 0.7, 1e-12, offThread);
        const op = pending.finish();
        forward = (op.dataSync() as Float32Array)[0];
        // as IMML does: the value of an op on the graph thread joins the reported loss after the backward pass
        if (pending.lateValue) {
          late = true;
          addLateLossTerm(pending.lateValue);
        }
        return op;
      });
      tf.dispose(hs);
      return { loss: r.loss, grads: [...r.inputGrads, ...Object.values(r.paramGrads)], forward, late };
    };
    setTensorEngine(head);
    try {
      const same = run(false);
      const threaded = run(true);
      expect([same.late, threaded.late]).to.deep.equal([false, true]);
      expect(threaded.forward, 'forward value on the graph thread').to.equal(0);
      expect(same.forward).to.be.greaterThan(0);
      // the same float32 graph; the late value skips the float32 scalar, so equal to its rounding
      expect(threaded.loss).to.be.closeTo(same.loss, 1e-6 * same.loss);
      threaded.grads.forEach((g, i) => expect(Array.from(g), `grad ${i}`).to.deep.equal(Array.from(same.grads[i])));
      expect(() => addLateLossTerm(() => 0)).to.throw(/only inside the loss function of lossAndGrads/);
    } finally {
      setTensorEngine(undefined);
      head.dispose();
    }
  });

  it('GraphThread: outputs equal runGraph on the calling thread; a failing graph is one error naming it, and the thread goes on', function () {
    const head = ortOrSkip(this);
    head.dispose();
    const pb = problem(41, 8, [6, 5], 4);
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = { h0: { data: pb.hs[0], dims: [8, 6] }, h1: { data: pb.hs[1], dims: [8, 5] } };
    for (const m of [0, 1]) ['W1', 'b1', 'W2', 'b2'].forEach((w, j) => (feeds[`${w}_${m}`] = { data: pb.heads[m][j], dims: j === 0 ? [pb.dims[m], 4] : j === 2 ? [4, 4] : [4] }));
    const outputs = ['sum0', 'sum1', 'pos', 'dh0', 'dh1', 'dW1_1'];
    const build = (): Uint8Array => mdkeTwoGraph(0.5, 1, 1e-12, 8);
    const local = createEngine('ort-cpu', 1);
    const thread = new GraphThread('cpu', 1);
    try {
      const want = local.runGraph!('t', build, feeds, outputs);
      for (let k = 0; k < 2; k++) {
        const got = thread.start('t', build, feeds, outputs)();
        for (const name of outputs) expect(Array.from(got[name]), `${name}, run ${k}`).to.deep.equal(Array.from(want[name]));
      }
      const bad = thread.start('t', build, { ...feeds, h0: { data: pb.hs[0], dims: [8, 3] } }, outputs);
      expect(() => bad()).to.throw(/dense graph t \(graph thread\): /);
      expect(Array.from(thread.start('t', build, feeds, ['pos'])().pos)).to.deep.equal(Array.from(want.pos));
      expect(() => thread.start('t', build, { h0: { data: new Float32Array(2), dims: [8, 6] } }, outputs)).to.throw(/'h0' holds 2 floats, need \[8, 6\]/);
    } finally {
      thread.dispose();
      local.dispose();
    }
  });

  it('GraphThread updates: the thread steps a shared table from a gradient output of the run, as the optimiser steps it on the host; unshared state is refused', function () {
    const head = ortOrSkip(this);
    head.dispose();
    const pb = problem(43, 8, [6, 5], 4);
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = { h0: { data: pb.hs[0], dims: [8, 6] }, h1: { data: pb.hs[1], dims: [8, 5] } };
    for (const m of [0, 1]) ['W1', 'b1', 'W2', 'b2'].forEach((w, j) => (feeds[`${w}_${m}`] = { data: pb.heads[m][j], dims: j === 0 ? [pb.dims[m], 4] : j === 2 ? [4, 4] : [4] }));
    const build = (): Uint8Array => mdkeTwoGraph(0.5, 1, 1e-12, 8);
    const local = createEngine('ort-cpu', 1);
    const thread = new GraphThread('cpu', 1);
    try {
      const want = local.runGraph!('u', build, feeds, ['dh0', 'dW2_0']);
      for (const name of ['adam', 'adagrad'] as const) {
        const onHost = pb.heads[0][2].slice();
        const hostOpt = createOptimizer(name, 1, onHost.length, { lr: 0.01 });
        const threadOpt = createOptimizer(name, 1, onHost.length, { lr: 0.01 });
        const shared = new Float32Array(new SharedArrayBuffer(onHost.length * 4));
        shared.set(onHost);
        const state = threadOpt.shareState!();
        for (let k = 0; k < 3; k++) {
          hostOpt.stepDense(onHost, onHost.length, want.dW2_0);
          const got = thread.start('u', build, feeds, ['dh0'], [{ gradient: 'dW2_0', table: shared, optimizer: state, scalar: threadOpt.beginRowStep!() }])();
          // the gradient stayed on the thread; the others come back as before
          expect(Object.keys(got)).to.deep.equal(['dh0']);
          expect(Array.from(got.dh0)).to.deep.equal(Array.from(want.dh0));
          expect(Array.from(shared), `${name}, step ${k}`).to.deep.equal(Array.from(onHost));
        }
        expect(() => thread.start('u', build, feeds, ['dh0'], [{ gradient: 'dW2_0', table: onHost, optimizer: state, scalar: 1 }])).to.throw(/update 'dW2_0' must lie on SharedArrayBuffers/);
      }
      // many runs' tables: the thread is sent each table once and forgets old ones, and every job still steps its own
      const once = pb.heads[0][2].slice();
      createOptimizer('adam', 1, once.length, { lr: 0.01 }).stepDense(once, once.length, want.dW2_0);
      for (let job = 0; job < 10; job++) {
        const tables = Array.from({ length: 8 }, () => {
          const t = new Float32Array(new SharedArrayBuffer(once.length * 4));
          t.set(pb.heads[0][2]);
          return t;
        });
        const opts = tables.map((t) => createOptimizer('adam', 1, t.length, { lr: 0.01 }));
        thread.start('u', build, feeds, ['dh0'], tables.map((table, k) => ({ gradient: 'dW2_0', table, optimizer: opts[k].shareState!(), scalar: opts[k].beginRowStep!() })))();
        tables.forEach((t, k) => expect(Array.from(t), `job ${job}, table ${k}`).to.deep.equal(Array.from(once)));
      }
    } finally {
      thread.dispose();
      local.dispose();
    }
  });
});
