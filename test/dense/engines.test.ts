import { expect } from 'chai';
import { selectBackend } from '../../src/backend';
import { ENGINE_NAMES, type DenseHead, type DenseTargets, type EngineName, type HeadLoss } from '../../src/dense/head';
import { createEngine, checkEngineName, selectDenseHead } from '../../src/dense/select';
import { Rng } from '../../src/rng';
import { maxRelativeError } from '../../src/dense/engine_js';

/** Engines that can run here; a GPU engine that finds no adapter is reported and skipped. */
export function availableEngines(): { heads: DenseHead[]; missing: string[] } {
  const heads: DenseHead[] = [];
  const missing: string[] = [];
  for (const name of ENGINE_NAMES) {
    try {
      heads.push(createEngine(name as EngineName));
    } catch (err) {
      missing.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { heads, missing };
}

function random(rng: Rng, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}


describe('dense head engines', function () {
  let heads: DenseHead[] = [];
  let reference: DenseHead;
  before(async () => {
    await selectBackend('wasm');
    const found = availableEngines();
    heads = found.heads;
    for (const m of found.missing) console.log(`      (engine skipped: ${m})`);
    reference = heads.find((h) => h.name === 'js')!;
  });
  after(() => heads.forEach((h) => h.dispose()));

  it('finds the CPU engines (ort-cpu, tfjs, js) on this machine', () => {
    const names = heads.map((h) => h.name);
    for (const n of ['ort-cpu', 'tfjs', 'js']) expect(names).to.include(n);
  });

  it('rejects an unknown engine name naming the flag', () => {
    expect(() => checkEngineName('ort-gpu')).to.throw(/--engine: expected auto or one of/);
    expect(() => selectDenseHead('blas')).to.throw(/--engine/);
  });

  const B = 7;
  const N = 23;
  const d = 6;
  const rng = new Rng(3);
  const Q = random(rng, B * d, 0.8);
  const E = random(rng, N * d, 0.8);
  const answers = Int32Array.from({ length: B }, (_, i) => (i * 5) % N);
  const multiHot = new Float32Array(B * N);
  for (let i = 0; i < B; i++) {
    multiHot[i * N + answers[i]] = 0.5;
    multiHot[i * N + ((answers[i] + 3) % N)] = 0.5;
  }
  const cases: [string, HeadLoss][] = [
    ['1-vs-all CE', { loss: 'ce', targets: { kind: 'index', answers } }],
    ['1-vs-all CE, label smoothing 0.1', { loss: 'ce', targets: { kind: 'index', answers, smoothing: 0.1 } }],
    ['KvsAll CE (normalised multi-hot)', { loss: 'ce', targets: { kind: 'rows', rows: multiHot } }],
    ['KvsAll BCE', { loss: 'bce', targets: { kind: 'rows', rows: multiHot.map((v) => (v > 0 ? 1 : 0)) } }],
    ['IMML soft targets, weight 0.3', {
      loss: 'ce', weight: 0.3,
      targets: { kind: 'mix', a: answers, b: answers.map((a) => (a + 1) % N), lambda: Float32Array.from({ length: B }, (_, i) => i / B) } as DenseTargets,
    }],
  ];
  for (const [label, spec] of cases) {
    it(`every engine gives the reference loss, dQ and dE: ${label}`, () => {
      const ref = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
      const refLoss = reference.lossAndGrads({ Q, E, B, N, d }, spec, ref);
      expect(refLoss).to.be.greaterThan(0);
      for (const h of heads) {
        // Oversized, dirty output buffers: engines must overwrite exactly B*d / N*d floats.
        const out = { dQ: new Float32Array(B * d + 5).fill(9), dE: new Float32Array(N * d + 5).fill(9) };
        const loss = h.lossAndGrads({ Q, E, B, N, d }, spec, out);
        expect(Math.abs(loss - refLoss) / refLoss, `${h.name} loss`).to.be.lessThan(1e-5);
        expect(maxRelativeError(out.dQ.subarray(0, B * d), ref.dQ), `${h.name} dQ`).to.be.lessThan(1e-5);
        expect(maxRelativeError(out.dE.subarray(0, N * d), ref.dE), `${h.name} dE`).to.be.lessThan(1e-5);
        expect(out.dQ[B * d]).to.equal(9);
      }
    });
  }

  it('the CE gradient matches a finite difference of the reference loss', () => {
    const spec: HeadLoss = { loss: 'ce', targets: { kind: 'index', answers, smoothing: 0.05 } };
    const out = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
    reference.lossAndGrads({ Q, E, B, N, d }, spec, out);
    const scratch = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
    for (const k of [0, 13, B * d - 1]) {
      const h = 1e-3;
      const Qp = Q.slice(); Qp[k] += h;
      const Qm = Q.slice(); Qm[k] -= h;
      const fd = (reference.lossAndGrads({ Q: Qp, E, B, N, d }, spec, scratch) - reference.lossAndGrads({ Q: Qm, E, B, N, d }, spec, scratch)) / (2 * h);
      expect(out.dQ[k]).to.be.closeTo(fd, 1e-4);
    }
  });

  it('every engine scores S = Q E^T like the reference, batch after batch with one prepared table', () => {
    const ref = new Float32Array(B * N);
    const rt = reference.prepareScores(E, N, d);
    reference.scores(rt, Q, B, ref);
    for (const h of heads) {
      const t = h.prepareScores(E, N, d);
      const out = new Float32Array(B * N);
      h.scores(t, Q, B, out);
      expect(maxRelativeError(out, ref), h.name).to.be.lessThan(1e-5);
      // A shorter second chunk into the same buffer.
      h.scores(t, Q.subarray(d), B - 1, out);
      expect(maxRelativeError(out.subarray(0, (B - 1) * N), ref.subarray(N)), `${h.name} second chunk`).to.be.lessThan(1e-5);
      t.dispose();
    }
  });

  it('reports bad shapes and target ids with one message', () => {
    for (const h of heads) {
      const out = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
      expect(() => h.lossAndGrads({ Q: Q.subarray(1), E, B, N, d }, cases[0][1], out), h.name).to.throw(/Q holds/);
      expect(() => h.lossAndGrads({ Q, E, B, N, d }, { loss: 'ce', targets: { kind: 'index', answers: answers.map(() => N) } }, out), h.name).to.throw(/outside/);
    }
  });
});

describe('dense head: WebGPU path', () => {
  it('ort-webgpu gives the CPU loss and gradients where a WebGPU adapter exists', function () {
    let gpu: DenseHead;
    try {
      gpu = createEngine('ort-webgpu');
    } catch (err) {
      const msg = (err as Error).message;
      // Only "no adapter / no Vulkan" is a reason to skip; any other failure is a bug.
      if (/adapter|vulkan/i.test(msg)) {
        console.log(`      (skipped: no WebGPU adapter here: ${msg.slice(0, 160)})`);
        this.skip();
      }
      throw err;
    }
    const cpu = createEngine('ort-cpu');
    const rng = new Rng(9);
    const [B, N, d] = [64, 300, 32];
    const Q = random(rng, B * d, 0.5);
    const E = random(rng, N * d, 0.5);
    const spec: HeadLoss = { loss: 'ce', targets: { kind: 'index', answers: Int32Array.from({ length: B }, (_, i) => i % N) } };
    const a = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
    const b = { dQ: new Float32Array(B * d), dE: new Float32Array(N * d) };
    const la = cpu.lossAndGrads({ Q, E, B, N, d }, spec, a);
    const lb = gpu.lossAndGrads({ Q, E, B, N, d }, spec, b);
    expect(Math.abs(la - lb) / la).to.be.lessThan(1e-4);
    expect(maxRelativeError(b.dQ, a.dQ)).to.be.lessThan(1e-4);
    expect(maxRelativeError(b.dE, a.dE)).to.be.lessThan(1e-4);
    gpu.dispose();
    cpu.dispose();
  });
});

describe('dense head: general product (OTKGE fusion)', () => {
  it('every engine computes op(A) op(B) for all four transpose flags like the reference', async () => {
    await selectBackend('wasm');
    const { heads } = availableEngines();
    const ref = heads.find((h) => h.name === 'js')!;
    const rng = new Rng(4);
    const [m, k, n] = [5, 7, 3];
    const A = random(rng, m * k, 1);
    const B = random(rng, k * n, 1);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const want = new Float32Array(m * n);
      ref.matMul(A, B, m, k, n, want, ta, tb);
      for (const h of heads) {
        const got = new Float32Array(m * n);
        h.matMul(A, B, m, k, n, got, ta, tb);
        expect(maxRelativeError(got, want), `${h.name} ${ta} ${tb}`).to.be.lessThan(1e-5);
      }
    }
    // Plain definition for one entry (no transposes): C[1][2] = sum_l A[1][l] B[l][2].
    const c = new Float32Array(m * n);
    ref.matMul(A, B, m, k, n, c);
    let s = 0;
    for (let l = 0; l < k; l++) s += A[1 * k + l] * B[l * n + 2];
    expect(c[1 * n + 2]).to.be.closeTo(s, 1e-5);
    heads.forEach((h) => h.dispose());
  });
});
