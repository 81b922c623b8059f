import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { hostValues, selectBackend } from '../../src/backend';
import { gatherRows, takeRows } from '../../src/tf_ops';
import { denseHeadLoss, denseMatMul } from '../../src/dense/tf_loss';
import { createEngine } from '../../src/dense/select';
import type { DenseHead } from '../../src/dense/head';
import { Rng } from '../../src/rng';

/**
 * On wasm, a tensor larger than the module's heap, so that the heap grows and every view taken
 * before is detached (skipped above 256 MB of heap; undefined elsewhere). Dispose it after.
 */
function growHeap(): tf.Tensor | undefined {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  if (tf.getBackend() !== 'wasm' || !b.wasm) return undefined;
  const bytes = b.wasm.HEAPU8.byteLength;
  if (bytes > 256 * 2 ** 20) return undefined;
  const big = tf.zeros([bytes / 4 + 1]);
  expect(b.wasm.HEAPU8.byteLength, 'the wasm heap grew').to.be.greaterThan(bytes);
  return big;
}

/**
 * The engine by name; the tfjs engine checks that no operand it is given is a view of the wasm
 * heap, which its own ops may grow (detaching every view) before it has read them.
 */
function engineUnderTest(name: 'js' | 'tfjs'): DenseHead {
  const head = createEngine(name);
  if (name !== 'tfjs') return head;
  const copiesOnly = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.buffer;
    const arrays = a.flatMap((x) => (x instanceof Float32Array ? [x] : typeof x === 'object' && x ? Object.values(x).filter((v) => v instanceof Float32Array) : []));
    for (const x of arrays) expect(heap !== undefined && x.buffer === heap, 'an operand is a view of the wasm heap').to.equal(false);
    return f(...a);
  };
  head.matMul = copiesOnly(head.matMul.bind(head));
  head.lossAndGrads = copiesOnly(head.lossAndGrads.bind(head));
  return head;
}

const randMat = (rng: Rng, r: number, c: number): number[][] => Array.from({ length: r }, () => Array.from({ length: c }, () => rng.normal()));

describe('tf_ops: host reads and row gathers on the host backends', () => {
  let previous: string | undefined;
  before(() => {
    previous = tf.getBackend();
  });
  after(async () => {
    if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    describe(backend, () => {
      before(async () => {
        if (backend === 'wasm') await selectBackend('wasm');
        else await tf.setBackend('cpu');
      });

      it('hostValues reads the values dataSync reads (on wasm without a copy of the tensor)', () => {
        const x = tf.tensor2d(randMat(new Rng(1), 50, 7));
        const view = hostValues(x);
        expect(Array.from(view)).to.deep.equal(Array.from(x.dataSync()));
        if (backend === 'wasm') expect(view.buffer.byteLength, 'a view of the wasm heap').to.be.greaterThan(view.byteLength);
        x.dispose();
      });

      it('takeRows gives tf.gather\'s rows, repeats and any order included, after the heap has grown', () => {
        const rng = new Rng(2);
        const x = tf.tensor2d(randMat(rng, 40, 5));
        const filler = [growHeap()].filter((t) => t) as tf.Tensor[];
        const ids = Int32Array.of(39, 0, 7, 7, 12, 0);
        const want = Array.from(tf.gather(x, tf.tensor1d(ids, 'int32')).dataSync());
        const got = takeRows(x, ids);
        expect(got.shape).to.deep.equal([6, 5]);
        expect(Array.from(got.dataSync())).to.deep.equal(want);
        tf.dispose([x, got, ...filler]);
      });

      it('takeRows names a row outside the tensor', () => {
        const x = tf.zeros([3, 2]);
        expect(() => takeRows(x, Int32Array.of(0, 3))).to.throw(RangeError, /row 3 outside \[0, 3\)/);
        expect(() => takeRows(x, Int32Array.of(-1))).to.throw(RangeError, /row -1 outside/);
        x.dispose();
      });

      it('gatherRows: a repeated row gets the sum of its upstream gradients', () => {
        const rng = new Rng(3);
        const x = tf.tensor2d(randMat(rng, 4, 3));
        const ids = Int32Array.of(2, 0, 2);
        const dy = tf.tensor2d(randMat(rng, 3, 3));
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, ids), dy)))(x);
        const d = dy.arraySync() as number[][];
        const want = [[...d[1]], [0, 0, 0], d[0].map((v, k) => Math.fround(v + d[2][k])), [0, 0, 0]];
        (g.arraySync() as number[][]).forEach((row, i) => row.forEach((v, k) => expect(v, `dx[${i}][${k}]`).to.be.closeTo(want[i][k], 1e-6)));
        tf.dispose([x, dy, g]);
      });

      for (const engine of ['js', 'tfjs'] as const) it(`denseMatMul through the ${engine} engine gives tf.matMul's product and gradients, with tfjs ops between forward and backward`, () => {
        const rng = new Rng(4);
        const head = engineUnderTest(engine);
        const a = tf.tensor2d(randMat(rng, 6, 4));
        const b = tf.tensor2d(randMat(rng, 4, 5));
        const dy = tf.tensor2d(randMat(rng, 6, 5));
        const run = (mm: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D) => {
          const { value, grads } = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => {
            const c = mm(x as tf.Tensor2D, y as tf.Tensor2D);
            // the heap grows between the forward and the backward
            const filler = growHeap();
            return (filler ? tf.add(tf.sum(tf.mul(c, dy)), tf.mul(0, tf.sum(filler))) : tf.sum(tf.mul(c, dy))) as tf.Scalar;
          })([a, b]);
          return { value: value.dataSync()[0], grads: grads.map((g) => Array.from(g.dataSync())) };
        };
        const want = run((x, y) => tf.matMul(x, y));
        const got = run((x, y) => denseMatMul(head, x, y));
        expect(got.value).to.be.closeTo(want.value, 1e-5);
        got.grads.forEach((g, i) => g.forEach((v, k) => expect(v, `grad ${i}[${k}]`).to.be.closeTo(want.grads[i][k], 1e-5)));
        tf.dispose([a, b, dy]);
      });

      for (const engine of ['js', 'tfjs'] as const) it(`denseHeadLoss through the ${engine} engine gives the softmax cross-entropy of Q F^T and its gradients`, () => {
        const rng = new Rng(5);
        const head = engineUnderTest(engine);
        const Q = tf.tensor2d(randMat(rng, 3, 4));
        const F = tf.tensor2d(randMat(rng, 7, 4));
        const answers = Int32Array.of(6, 0, 3);
        // the head's default weight 1 / B: the mean over queries
        const reference = (q: tf.Tensor2D, f: tf.Tensor2D) =>
          tf.mean(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(answers, 'int32'), 7), tf.matMul(q, f, false, true), undefined, undefined, tf.Reduction.NONE)) as tf.Scalar;
        const run = (loss: (q: tf.Tensor2D, f: tf.Tensor2D) => tf.Scalar) => {
          const { value, grads } = tf.valueAndGrads((q: tf.Tensor, f: tf.Tensor) => tf.mul(2, loss(q as tf.Tensor2D, f as tf.Tensor2D)) as tf.Scalar)([Q, F]);
          return { value: value.dataSync()[0], grads: grads.map((g) => Array.from(g.dataSync())) };
        };
        const want = run(reference);
        const got = run((q, f) => denseHeadLoss(head, q, f, { loss: 'ce', targets: { kind: 'index', answers } }));
        expect(got.value).to.be.closeTo(want.value, 1e-4);
        got.grads.forEach((g, i) => g.forEach((v, k) => expect(v, `grad ${i}[${k}]`).to.be.closeTo(want.grads[i][k], 1e-5)));
        tf.dispose([Q, F]);
      });
    });
  }

  it('hostValues reads a tensor made under another backend (its values move to wasm)', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor2d([[1, 2], [3, 4.5]]);
    await selectBackend('wasm');
    expect(Array.from(hostValues(x))).to.deep.equal([1, 2, 3, 4.5]);
    expect(Array.from(takeRows(x, Int32Array.of(1)).dataSync())).to.deep.equal([3, 4.5]);
    x.dispose();
  });
});
