import * as tf from '@tensorflow/tfjs';
import { scatterAddRows } from './rows';
import { hostValues, tensorsOnHost } from './backend';

/**
 * a @ b whose gradient uses explicit transposes and plain matMuls. tfjs' own matMul gradient
 * calls matMul with transpose flags, which the wasm backend runs several times slower (measured
 * ~8x on a 1024x512 @ 512x512 product); this keeps 1-vs-all multimodal training on the fast path.
 */
export const matMulFast: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  ((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([a, b]);
    return {
      value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as tf.Tensor2D[];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
      },
    };
  }) as never,
) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * Rows `ids` of x ([ids.length, W]), not differentiated. On the host backends (wasm, cpu) the rows
 * are copied on typed arrays, straight out of the wasm heap: the wasm backend's gather runs ~20M
 * elements/s, so its gathers took a third of an OTKGE step on FB-IMG. Elsewhere tf.gather.
 */
export function takeRows(x: tf.Tensor, ids: Int32Array): tf.Tensor2D {
  const [n, W] = x.shape as [number, number];
  if (!tensorsOnHost()) return tf.gather(x, tf.tensor1d(ids, 'int32')) as tf.Tensor2D;
  const xs = hostValues(x);
  const out = new Float32Array(ids.length * W);
  for (let q = 0; q < ids.length; q++) {
    const i = ids[q];
    if (!(i >= 0 && i < n)) throw new RangeError(`takeRows: row ${i} outside [0, ${n})`);
    out.set(xs.subarray(i * W, (i + 1) * W), q * W);
  }
  return tf.tensor2d(out, [ids.length, W]);
}

/**
 * Rows `ids` of x ([ids.length, W]), differentiable. The gradient (a scatter-add) is done in
 * JS: tf.gather's own gradient needs UnsortedSegmentSum, which the wasm backend lacks and which
 * tfjs' cpu backend materialises expensively.
 */
export function gatherRows(x: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const [n, W] = x.shape;
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: takeRows(args[0] as tf.Tensor, ids),
    gradFunc: (dy: tf.Tensor) => {
      const out = new Float32Array(n * W);
      scatterAddRows(out, ids, hostValues(dy), W);
      return tf.tensor2d(out, [n, W]);
    },
  })) as never) as unknown as (t: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}

/**
 * [x; scale * x[source]] when `keepInput`, else scale * x[source] ([source.length, W]): row r of
 * the scaled part is scale[r] * x[source[r]]. One op instead of a gather, a multiply and a concat:
 * on the host backends (wasm, cpu) the rows are copied and scaled on typed arrays (the float32
 * products of a backend multiply), and the gradient dx = dy[input rows] + the sum over r with
 * source[r] = i of scale[r] dy[r] is summed in row order on the host. Elsewhere (`onHost` false,
 * where reading x back costs a device sync) tf.gather, tf.mul and tf.concat.
 */
export function scaledRows(x: tf.Tensor2D, source: Int32Array, scale: Float32Array, keepInput = false, onHost = tensorsOnHost()): tf.Tensor2D {
  const [n, W] = x.shape;
  const R = source.length;
  if (scale.length !== R) throw new Error(`scaledRows: ${R} source rows but ${scale.length} scales`);
  for (let r = 0; r < R; r++) if (!(source[r] >= 0 && source[r] < n)) throw new Error(`scaledRows: source row ${source[r]} outside 0..${n - 1}`);
  if (!onHost) {
    return tf.tidy(() => {
      const rows = tf.mul(tf.gather(x, tf.tensor1d(source, 'int32')), tf.tensor2d(scale, [R, 1])) as tf.Tensor2D;
      return keepInput ? (tf.concat([x, rows], 0) as tf.Tensor2D) : rows;
    });
  }
  const first = keepInput ? n : 0;
  const op = tf.customGrad(((t: tf.Tensor) => {
    const xs = hostValues(t); // read before the next tfjs op (a view of the wasm heap)
    const out = new Float32Array((first + R) * W);
    if (keepInput) out.set(xs.subarray(0, n * W));
    for (let r = 0; r < R; r++) {
      const s = scale[r];
      const o = (first + r) * W;
      const i = source[r] * W;
      for (let c = 0; c < W; c++) out[o + c] = Math.fround(s * xs[i + c]);
    }
    return {
      value: tf.tensor2d(out, [first + R, W]),
      gradFunc: (dy: tf.Tensor) => {
        const d = hostValues(dy);
        const dx = new Float32Array(n * W);
        if (keepInput) dx.set(d.subarray(0, n * W));
        for (let r = 0; r < R; r++) {
          const s = scale[r];
          const o = (first + r) * W;
          const i = source[r] * W;
          for (let c = 0; c < W; c++) dx[i + c] += Math.fround(s * d[o + c]);
        }
        return tf.tensor2d(dx, [n, W]);
      },
    };
  }) as never) as unknown as (t: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}

/**
 * sum_i weights[i] * terms[i] of scalar terms, differentiable: one op whose gradient hands each
 * term dy * weights[i] (the forward value in float32, as tf.mul and tf.add round it). On the host
 * backends this replaces a multiply and an add per term, and their gradients, with no kernels.
 */
export function weightedSum(terms: tf.Scalar[], weights: readonly number[], onHost = tensorsOnHost()): tf.Scalar {
  if (terms.length !== weights.length || terms.length === 0) throw new Error(`weightedSum: ${terms.length} terms but ${weights.length} weights`);
  if (!onHost) return tf.addN(terms.map((t, i) => tf.mul(weights[i], t))) as tf.Scalar;
  // customGrad calls f(...inputs, save)
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    let value = 0;
    for (let i = 0; i < terms.length; i++) value = Math.fround(value + Math.fround(Math.fround(weights[i]) * ((args[i] as tf.Tensor).dataSync() as Float32Array)[0]));
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => {
        const g = (dy.dataSync() as Float32Array)[0];
        return weights.map((w) => tf.scalar(Math.fround(g * Math.fround(w))));
      },
    };
  }) as never) as unknown as (...ts: tf.Scalar[]) => tf.Scalar;
  return op(...terms);
}
