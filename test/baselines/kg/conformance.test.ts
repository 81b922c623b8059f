/**
 * Conformance suite of the structural KG scorers: one spec factory run against every registered
 * scorer (and a tf-only example scorer), checked against plain-JS float64 references written
 * independently here.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { selectBackend } from '../../../src/backend';
import { Rng } from '../../../src/rng';
import type { RankForm, Scorer, ScorerOptions } from '../../../src/scorer';
import { createScorer, isScorerName, scorerNames } from '../../../baselines/kg/registry';
import { TransE } from '../../../baselines/kg/transe';
import { RotatE, ROTATE_INIT_GAMMA } from '../../../baselines/kg/rotate';
import { rankFormRef } from './rank_form_ref';

type Vec = ArrayLike<number>;

/** A float64 plain-JS reference of a scorer and the option variants to test it with. */
interface Reference {
  variants: Array<Omit<ScorerOptions, 'dim'>>;
  score(o: ScorerOptions, h: Vec, r: Vec, t: Vec): number;
}

// ---------------------------------------------------------------- references (float64, independent)

function transeRef(o: ScorerOptions, h: Vec, r: Vec, t: Vec): number {
  const p = o.norm ?? 1;
  let acc = 0;
  for (let k = 0; k < h.length; k++) acc += Math.pow(Math.abs(h[k] + r[k] - t[k]), p);
  return -Math.pow(acc, 1 / p);
}

function distmultRef(_o: ScorerOptions, h: Vec, r: Vec, t: Vec): number {
  let acc = 0;
  for (let k = 0; k < h.length; k++) acc += h[k] * r[k] * t[k];
  return acc;
}

type C = [number, number];
const cmul = (x: C, y: C): C => [x[0] * y[0] - x[1] * y[1], x[0] * y[1] + x[1] * y[0]];
const conj = (x: C): C => [x[0], -x[1]];
const cAt = (v: Vec, k: number): C => [v[k], v[k + v.length / 2]];

function complexRef(_o: ScorerOptions, h: Vec, r: Vec, t: Vec): number {
  const d = h.length / 2;
  let acc = 0;
  for (let k = 0; k < d; k++) acc += cmul(cmul(cAt(h, k), cAt(r, k)), conj(cAt(t, k)))[0];
  return acc;
}

function rotateRef(o: ScorerOptions, h: Vec, r: Vec, t: Vec): number {
  const d = h.length / 2;
  let dist = 0;
  for (let k = 0; k < d; k++) {
    const u = cmul(cAt(h, k), [Math.cos(r[k]), Math.sin(r[k])]);
    dist += Math.hypot(u[0] - t[k], u[1] - t[k + d]);
  }
  return (o.gamma ?? 0) - dist;
}

const REFERENCES: Record<string, Reference> = {
  transe: { variants: [{}, { norm: 2 }, { norm: 2, normalizeEntities: false }], score: transeRef },
  distmult: { variants: [{}], score: distmultRef },
  complex: { variants: [{}, { initStd: 1e-3 }], score: complexRef },
  rotate: { variants: [{}, { gamma: 12 }], score: rotateRef },
};


// ---------------------------------------------------------------- tf-only example (README)

/** TransE with squared L2 (tf `score` only: no kernel, no rank form), the README's example. */
class TransEL2Sq implements Scorer {
  readonly name = 'transe-l2sq';
  readonly entityWidth: number;
  readonly relationWidth: number;
  constructor(private readonly o: ScorerOptions) {
    this.entityWidth = o.dim;
    this.relationWidth = o.dim;
  }
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.neg(tf.sum(tf.square(tf.sub(tf.add(h, r), t)), -1)));
  }
  initEntities(table: Float32Array, rows: number, rng: Rng): void {
    const b = 6 / Math.sqrt(this.o.dim);
    for (let i = 0; i < rows * this.entityWidth; i++) table[i] = (2 * rng.next() - 1) * b;
  }
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    this.initEntities(table, rows, rng);
  }
}
const transeL2SqRef = (_o: ScorerOptions, h: Vec, r: Vec, t: Vec): number => {
  let acc = 0;
  for (let k = 0; k < h.length; k++) acc += (h[k] + r[k] - t[k]) ** 2;
  return -acc;
};

// ---------------------------------------------------------------- helpers

const B = 5;

function uniform(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.next() - 1) * scale;
  return a;
}

const row = (a: Float32Array, i: number, w: number): Float32Array => a.subarray(i * w, (i + 1) * w);

function expectClose(actual: number, expected: number, atol: number, rtol: number, what: string): void {
  const tol = atol + rtol * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${what}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)} > ${tol})`);
  }
}

function expectAllClose(actual: Vec, expected: Vec, atol: number, rtol: number, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < actual.length; i++) expectClose(actual[i], expected[i], atol, rtol, `${what}[${i}]`);
}

/** Fresh float32 inputs for one scorer: b triples and n candidate entities. */
function makeInputs(s: Scorer, seed: number) {
  const rng = new Rng(seed);
  return {
    h: uniform(rng, B * s.entityWidth),
    r: uniform(rng, B * s.relationWidth, 1.5),
    t: uniform(rng, B * s.entityWidth),
    cand: uniform(rng, 4 * s.entityWidth),
    g: uniform(rng, B),
    rng,
  };
}

// ---------------------------------------------------------------- the spec factory

function conformanceSuite(label: string, make: (dim: number) => Scorer, opts: Omit<ScorerOptions, 'dim'>, ref: Reference['score'], seed: number): void {
  describe(label, () => {
    const dim = 4 + new Rng(seed).int(3); // 4..6
    const o: ScorerOptions = { ...opts, dim };
    const s = make(dim);
    const We = s.entityWidth;
    const Wr = s.relationWidth;
    const refScore = (h: Vec, r: Vec, t: Vec) => ref(o, h, r, t);

    it('tf score equals the plain-JS reference, shape [b]', () => {
      const { h, r, t } = makeInputs(s, seed);
      const out = tf.tidy(() => s.score(tf.tensor2d(h, [B, We]), tf.tensor2d(r, [B, Wr]), tf.tensor2d(t, [B, We])));
      expect(out.shape).to.deep.equal([B]);
      const got = out.dataSync();
      out.dispose();
      for (let i = 0; i < B; i++) {
        expectClose(got[i], refScore(row(h, i, We), row(r, i, Wr), row(t, i, We)), 1e-4, 1e-4, `score ${i}`);
      }
    });

    it('broadcasts score(h[b,1,W], r[b,1,Wr], t[1,n,W]) -> [b,n] like the per-triple loop', () => {
      const { h, r, cand } = makeInputs(s, seed + 1);
      const n = cand.length / We;
      const out = tf.tidy(() =>
        s.score(tf.tensor3d(h, [B, 1, We]), tf.tensor3d(r, [B, 1, Wr]), tf.tensor3d(cand, [1, n, We])),
      );
      expect(out.shape).to.deep.equal([B, n]);
      const got = out.dataSync();
      out.dispose();
      for (let i = 0; i < B; i++) {
        for (let j = 0; j < n; j++) {
          expectClose(got[i * n + j], refScore(row(h, i, We), row(r, i, Wr), row(cand, j, We)), 1e-4, 1e-4, `score ${i},${j}`);
        }
      }
    });

    it('rankForm + queryTail/queryHead reproduce the score up to a constant per query', function () {
      if (s.rankForm === undefined) {
        expect(s.queryTail, 'queryTail without rankForm').to.equal(undefined);
        expect(s.queryHead, 'queryHead without rankForm').to.equal(undefined);
        // Skipped on purpose: the tf-only README example has no rank form to check.
        this.skip();
      }
      const form = s.rankForm!;
      expect(s.queryTail, 'queryTail').to.be.a('function');
      expect(s.queryHead, 'queryHead').to.be.a('function');
      const { h, r, t, cand } = makeInputs(s, seed + 2);
      const n = cand.length / We;
      const [qT, qH] = tf.tidy(() => {
        const hT = tf.tensor2d(h, [B, We]);
        const rT = tf.tensor2d(r, [B, Wr]);
        const tT = tf.tensor2d(t, [B, We]);
        const a = s.queryTail!(hT, rT);
        const b = s.queryHead!(rT, tT);
        expect(a.shape).to.deep.equal([B, We]);
        expect(b.shape).to.deep.equal([B, We]);
        return [a.dataSync().slice() as Float32Array, b.dataSync().slice() as Float32Array];
      });
      for (const side of ['tail', 'head'] as const) {
        const q = side === 'tail' ? qT : qH;
        for (let i = 0; i < B; i++) {
          const diffs: number[] = [];
          for (let j = 0; j < n; j++) {
            const e = row(cand, j, We);
            const sc = side === 'tail' ? refScore(row(h, i, We), row(r, i, Wr), e) : refScore(e, row(r, i, Wr), row(t, i, We));
            diffs.push(sc - rankFormRef(form, row(q, i, We), e));
          }
          for (const d of diffs) expectClose(d, diffs[0], 2e-4, 0, `${side} query ${i}: score - form(q, e)`);
        }
      }
    });

    it('kernel.score equals tf score; kernel.backward accumulates tf.grads of score', function () {
      const kernel = s.kernel;
      // Skipped on purpose for the tf-only README example, which has no fused kernel.
      if (!kernel) this.skip();
      const rng = new Rng(seed + 3);
      const nE = 6;
      const nR = 3;
      const E = uniform(rng, nE * We);
      const R = uniform(rng, nR * Wr, 1.5);
      const hs = [0, 1, 2, 3, 4];
      const rs = [0, 1, 2, 1, 0];
      const ts = [5, 3, 2, 0, 1]; // triple 2 has h == t: both gradients land in one slot
      const g = uniform(rng, B);
      const gather = (tab: Float32Array, w: number, ids: number[]) => {
        const out = new Float32Array(ids.length * w);
        ids.forEach((id, i) => out.set(row(tab, id, w), i * w));
        return out;
      };
      const hA = gather(E, We, hs), rA = gather(R, Wr, rs), tA = gather(E, We, ts);
      const [tfScore, dh, dr, dt] = tf.tidy(() => {
        const args = [tf.tensor2d(hA, [B, We]), tf.tensor2d(rA, [B, Wr]), tf.tensor2d(tA, [B, We])];
        const gT = tf.tensor1d(g);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(s.score(a, b, c), gT)))(args);
        return [s.score(args[0], args[1], args[2]).dataSync().slice(), ...grads.map((x) => x.dataSync().slice())];
      });
      kernel!.beginBatch?.(E, R);
      for (let i = 0; i < B; i++) {
        const k = kernel!.score(E, hs[i] * We, R, rs[i] * Wr, ts[i] * We);
        expectClose(k, tfScore[i], 1e-5, 1e-5, `kernel.score ${i}`);
        expectClose(k, refScore(row(E, hs[i], We), row(R, rs[i], Wr), row(E, ts[i], We)), 1e-4, 1e-4, `kernel.score vs ref ${i}`);
      }
      // non-zero starting buffers: backward must add, never overwrite
      const gE = uniform(rng, nE * We);
      const gR = uniform(rng, nR * Wr);
      const expE = Float64Array.from(gE);
      const expR = Float64Array.from(gR);
      for (let i = 0; i < B; i++) {
        for (let k = 0; k < We; k++) {
          expE[hs[i] * We + k] += dh[i * We + k];
          expE[ts[i] * We + k] += dt[i * We + k];
        }
        for (let k = 0; k < Wr; k++) expR[rs[i] * Wr + k] += dr[i * Wr + k];
        kernel!.backward(E, hs[i] * We, R, rs[i] * Wr, ts[i] * We, g[i], gE, hs[i] * We, ts[i] * We, gR, rs[i] * Wr);
      }
      kernel!.endBackward?.(gE, nE, gR, nR, 0, kernel!.coordinates ?? 0);
      expectAllClose(gE, expE, 1e-5, 1e-4, 'gE');
      expectAllClose(gR, expR, 1e-5, 1e-4, 'gR');
    });

    it('tf gradients match central differences of the float64 reference', () => {
      const { h, r, t, g } = makeInputs(s, seed + 4);
      const grads = tf.tidy(() => {
        const gT = tf.tensor1d(g);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(s.score(a, b, c), gT));
        return tf
          .grads(f)([tf.tensor2d(h, [B, We]), tf.tensor2d(r, [B, Wr]), tf.tensor2d(t, [B, We])])
          .map((x) => x.dataSync().slice());
      });
      const eps = 1e-5;
      const parts = [Float64Array.from(h), Float64Array.from(r), Float64Array.from(t)];
      const widths = [We, Wr, We];
      for (let p = 0; p < 3; p++) {
        const w = widths[p];
        for (let i = 0; i < B; i++) {
          const args = parts.map((a, q) => a.slice(i * widths[q], (i + 1) * widths[q]));
          for (let k = 0; k < w; k++) {
            const x0 = args[p][k];
            args[p][k] = x0 + eps;
            const up = refScore(args[0], args[1], args[2]);
            args[p][k] = x0 - eps;
            const down = refScore(args[0], args[1], args[2]);
            args[p][k] = x0;
            const fd = (g[i] * (up - down)) / (2 * eps);
            expectClose(grads[p][i * w + k], fd, 1e-3, 1e-2, `d/d${'hrt'[p]}[${i},${k}]`);
          }
        }
      }
    });

    it('leaks no tensors', () => {
      const { h, r, t } = makeInputs(s, seed + 5);
      const hT = tf.tensor2d(h, [B, We]);
      const rT = tf.tensor2d(r, [B, Wr]);
      const tT = tf.tensor2d(t, [B, We]);
      const before = tf.memory().numTensors;
      s.score(hT, rT, tT).dispose();
      s.score(hT.reshape([B, 1, We]), rT.reshape([B, 1, Wr]), tT.reshape([1, B, We])).dispose();
      const after1 = tf.memory().numTensors;
      if (s.queryTail) s.queryTail(hT, rT).dispose();
      if (s.queryHead) s.queryHead(rT, tT).dispose();
      const after2 = tf.memory().numTensors;
      tf.dispose([hT, rT, tT]);
      // the reshapes above are 3 extra (leaked-by-test) tensors, not the scorer's
      expect(after1 - before).to.equal(3);
      expect(after2).to.equal(after1);
    });

    it('init is deterministic for a seed, fills every row and stays within its rows', () => {
      for (const which of ['entities', 'relations'] as const) {
        const w = which === 'entities' ? We : Wr;
        const rows = 9;
        const fill = (sd: number) => {
          const tab = new Float32Array((rows + 1) * w).fill(NaN);
          if (which === 'entities') s.initEntities(tab, rows, new Rng(sd));
          else s.initRelations(tab, rows, new Rng(sd));
          return tab;
        };
        const a = fill(7);
        const b = fill(7);
        const c = fill(8);
        expect(Array.from(a.subarray(0, rows * w))).to.deep.equal(Array.from(b.subarray(0, rows * w)));
        expect(Array.from(a.subarray(0, rows * w))).to.not.deep.equal(Array.from(c.subarray(0, rows * w)));
        for (let i = 0; i < rows; i++) {
          const rw = row(a, i, w);
          expect(rw.every(Number.isFinite), `${which} row ${i} finite`).to.equal(true);
          expect(rw.some((v) => v !== 0), `${which} row ${i} non-zero`).to.equal(true);
        }
        expect(row(a, rows, w).every(Number.isNaN), `${which}: no write past rows`).to.equal(true);
      }
    });

    if (opts.initStd !== undefined) {
      it(`initStd: every table is normal(0, ${opts.initStd})`, () => {
        for (const which of ['entities', 'relations'] as const) {
          const w = which === 'entities' ? We : Wr;
          const rows = Math.ceil(20000 / w);
          const tab = new Float32Array(rows * w);
          if (which === 'entities') s.initEntities(tab, rows, new Rng(3));
          else s.initRelations(tab, rows, new Rng(3));
          let m = 0;
          let v = 0;
          for (const x of tab) m += x;
          m /= tab.length;
          for (const x of tab) v += (x - m) ** 2;
          const std = Math.sqrt(v / tab.length);
          expect(Math.abs(m)).to.be.below(0.05 * opts.initStd!);
          expect(std / opts.initStd!).to.be.within(0.97, 1.03);
        }
      });
    }
  });
}

// ---------------------------------------------------------------- run it

describe('baselines/kg conformance', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('every registered scorer has a plain-JS reference in this file', () => {
    const missing = scorerNames().filter((n) => !(n in REFERENCES));
    expect(missing, 'registered scorers without a reference in conformance.test.ts').to.deep.equal([]);
  });

  let seed = 1000;
  for (const name of scorerNames()) {
    const ref = REFERENCES[name];
    if (!ref) {
      it(`${name}: has a reference`, () => expect.fail(`no plain-JS reference for registered scorer '${name}'`));
      continue;
    }
    for (const variant of ref.variants) {
      const label = `${name} ${JSON.stringify(variant)}`;
      conformanceSuite(label, (dim) => createScorer(name, { ...variant, dim }), variant, ref.score, seed);
      seed += 10;
    }
  }

  conformanceSuite('tf-only example transe-l2sq (README)', (dim) => new TransEL2Sq({ dim }), {}, transeL2SqRef, 77);
});

describe('baselines/kg registry', () => {
  it('each key builds a scorer of that name, from a file of that name', () => {
    for (const name of scorerNames()) {
      const s = createScorer(name, { dim: 4 });
      expect(s.name).to.equal(name);
      const file = path.join(__dirname, '../../../baselines/kg', name);
      expect(() => require.resolve(file), `baselines/kg/${name}`).to.not.throw();
    }
    expect(scorerNames()).to.include.members(['transe', 'distmult', 'complex', 'rotate']);
  });

  it('unknown names throw, listing the known ones', () => {
    expect(isScorerName('transe')).to.equal(true);
    expect(isScorerName('toString')).to.equal(false);
    expect(() => createScorer('nope', { dim: 4 })).to.throw(/unknown scorer 'nope'.*transe, distmult, complex, rotate/);
  });

  it('rejects bad options', () => {
    expect(() => createScorer('transe', { dim: 0 })).to.throw(/dim/);
    expect(() => createScorer('distmult', { dim: 2.5 })).to.throw(/dim/);
    expect(() => createScorer('transe', { dim: 4, norm: 3 as unknown as 1 })).to.throw(/norm/);
    expect(() => createScorer('complex', { dim: 4, initStd: -1 })).to.throw(/initStd/);
  });

  it('widths: complex-valued models use [re | im] rows', () => {
    const w = (n: string) => {
      const s = createScorer(n, { dim: 5 });
      return [s.entityWidth, s.relationWidth];
    };
    expect(w('transe')).to.deep.equal([5, 5]);
    expect(w('distmult')).to.deep.equal([5, 5]);
    expect(w('complex')).to.deep.equal([10, 10]);
    expect(w('rotate')).to.deep.equal([10, 5]);
  });
});

describe('baselines/kg scorer-specific', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  const norms = (tab: Float32Array, w: number, rows: number) =>
    Array.from({ length: rows }, (_, i) => Math.hypot(...row(tab, i, w)));

  it('TransE: paper init gives unit-norm relations and (by default) unit-norm entities', () => {
    const s = new TransE({ dim: 20 });
    const E = new Float32Array(30 * 20);
    const R = new Float32Array(7 * 20);
    s.initEntities(E, 30, new Rng(1));
    s.initRelations(R, 7, new Rng(2));
    for (const n of norms(E, 20, 30)) expect(n).to.be.closeTo(1, 1e-5);
    for (const n of norms(R, 20, 7)) expect(n).to.be.closeTo(1, 1e-5);
    const raw = new TransE({ dim: 20, normalizeEntities: false });
    raw.initEntities(E, 30, new Rng(1));
    const bound = 6 / Math.sqrt(20);
    expect(E.every((v) => Math.abs(v) <= bound)).to.equal(true);
    expect(norms(E, 20, 30).some((n) => Math.abs(n - 1) > 0.1)).to.equal(true);
  });

  it('TransE: constrainEntities renormalises exactly the touched rows; switchable', () => {
    const s = new TransE({ dim: 6 });
    const E = uniform(new Rng(5), 10 * 6, 3);
    const before = E.slice();
    const touched = Int32Array.from([7, 2, 9, 0, 4]);
    s.constrainEntities!(E, touched, 3); // only the first 3 ids
    const n = norms(E, 6, 10);
    for (const i of [7, 2, 9]) expect(n[i]).to.be.closeTo(1, 1e-6);
    for (const i of [0, 1, 3, 4, 5, 6, 8]) expect(Array.from(row(E, i, 6))).to.deep.equal(Array.from(row(before, i, 6)));
    expect(new TransE({ dim: 6, normalizeEntities: false }).constrainEntities).to.equal(undefined);
  });

  it('TransE L2: finite zero gradient at h + r = t (epsilon under the sqrt)', () => {
    const s = new TransE({ dim: 3, norm: 2 });
    const E = Float32Array.from([0.5, -0.25, 1, 0.5, -0.25, 1]);
    const R = new Float32Array(3);
    const gE = new Float32Array(6);
    const gR = new Float32Array(3);
    s.kernel.backward(E, 0, R, 0, 3, 1, gE, 0, 3, gR, 0);
    expect(Array.from(gE).every((v) => v === 0)).to.equal(true);
    const g = tf.tidy(() => {
      const h = tf.tensor2d([[0.5, -0.25, 1]]);
      return tf.grad((x: tf.Tensor) => tf.sum(s.score(x, tf.zeros([1, 3]), h)))(h).dataSync().slice();
    });
    expect(Array.from(g).every((v) => v === 0)).to.equal(true);
  });

  it('RotatE: init ranges follow the paper code; gamma only shifts the score', () => {
    const s = new RotatE({ dim: 8 });
    expect(s.embeddingRange).to.be.closeTo((ROTATE_INIT_GAMMA + 2) / 8, 1e-12);
    expect(new RotatE({ dim: 8, gamma: 6 }).embeddingRange).to.be.closeTo(1, 1e-12);
    const E = new Float32Array(50 * 16);
    const R = new Float32Array(50 * 8);
    s.initEntities(E, 50, new Rng(1));
    s.initRelations(R, 50, new Rng(2));
    expect(E.every((v) => Math.abs(v) <= s.embeddingRange)).to.equal(true);
    expect(R.every((v) => Math.abs(v) <= Math.PI)).to.equal(true);
    expect(Math.max(...R)).to.be.above(2.5); // covers the full circle, not the entity range
    const s12 = new RotatE({ dim: 8, gamma: 12 });
    s12.kernel.beginBatch!(E, R);
    s.kernel.beginBatch!(E, R);
    expect(s12.kernel.score(E, 0, R, 0, 16)).to.be.closeTo(12 + s.kernel.score(E, 0, R, 0, 16), 1e-5);
  });

  it('RotatE kernel: beginBatch takes in-place table updates (its cos/sin cache follows the phases)', () => {
    const s = new RotatE({ dim: 4 });
    const rng = new Rng(9);
    const E = uniform(rng, 2 * 8);
    const R = uniform(rng, 4, 3);
    const ref = () => rotateRef({ dim: 4 }, row(E, 0, 8), R, row(E, 1, 8));
    expect(() => s.kernel.score(E, 0, R, 0, 8)).to.throw(/beginBatch/);
    s.kernel.beginBatch!(E, R);
    expectClose(s.kernel.score(E, 0, R, 0, 8), ref(), 1e-5, 1e-5, 'first');
    R[2] += 0.5; // optimiser step on one phase
    E[3] -= 0.25; // and on one entity coordinate
    s.kernel.beginBatch!(E, R);
    expectClose(s.kernel.score(E, 0, R, 0, 8), ref(), 1e-5, 1e-5, 'after update');
    const R2 = uniform(rng, 4, 3); // another table of the same size
    s.kernel.beginBatch!(E, R2);
    expectClose(s.kernel.score(E, 0, R2, 0, 8), rotateRef({ dim: 4 }, row(E, 0, 8), R2, row(E, 1, 8)), 1e-5, 1e-5, 'other table');
  });
});
