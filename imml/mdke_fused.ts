import * as tf from '@tensorflow/tfjs';
import { denseProduct } from '../src/dense/products';
import { currentTensorEngine } from '../src/dense/tf_loss';
import type { DenseHead, GraphParamUpdate, GraphTensor } from '../src/dense/head';
import type { OffloadedParam } from '../src/params';
import { MAX_GRAPH_SHIFT_RANGE, mdkeTwoGraph } from './mdke_graph';

/**
 * A projection head whose four parameters (W1, b1, W2, b2) the graph thread reads from their
 * shared tables and steps itself (DenseOptimizer.offload): their `table` arrays are the values.
 */
export type OffloadedHead = readonly [W1: OffloadedParam, b1: OffloadedParam, W2: OffloadedParam, b2: OffloadedParam];

/** One projection head P^m = W2 relu(W1 h + b1) + b2 as tensors (W1 [D_m, D], b1 [D], W2 [D, D], b2 [D]). */
export interface ProjectionHead {
  W1: tf.Tensor2D;
  b1: tf.Tensor1D;
  W2: tf.Tensor2D;
  b2: tf.Tensor1D;
}

/**
 * L_mdke of Eq. 2 (sum over m of the NT-Xent term L^{m,[m+1]_M} of Eq. 3, each a mean over
 * anchors) of the projections xi^m = P^m(h^m), as one differentiable op: the same loss as
 * `mdkeLoss(hs.map(P^m), tau)` in losses.ts, but forward and hand-derived backward run on typed
 * arrays with the dense products on the run's dense engine (src/dense/products.ts), instead of
 * ~60 small tfjs ops whose per-op cost dominates at batch 128. Checked against tfjs autodiff of
 * `mdkeLoss` and central differences in test/imml.
 *
 * Backward, per modality with z = xi / sqrt(|xi|^2 + eps) and P the softmax of the row logits
 * [cross_i, self_i] / tau (anchor masked): dcross = (P_cross - I) / n, dself = P_self / n,
 * dz_m += (dcross z_{m'} + (dself + dself^T) z_m) / tau, dz_{m'} += dcross^T z_m / tau;
 * dxi = r (dz - z (z . dz)); then the two affine layers and the ReLU.
 *
 * With two modalities on an engine that runs ONNX graphs (ORT), the whole forward and backward
 * is one graph (mdke_graph.ts, float32 throughout); otherwise the typed-array kernel below
 * (float64 exponentials and sums) with the engine's products.
 *
 * Returns `weight` * L_mdke (IMML's gamma1 L_mdke): the graph then computes the gradients at the
 * upstream gradient they get inside a loss sum, 1, and hands them over without rescaling.
 */
export function fusedMdkeLoss(hs: tf.Tensor2D[], heads: ProjectionHead[], tau: number, weight = 1, eps = 1e-12): tf.Scalar {
  return startFusedMdke(hs, heads, tau, weight, eps, false).finish();
}

/** An L_mdke op whose inputs are read (and whose graph may be running). */
export interface PendingMdke {
  /** The op (weight * L_mdke). */
  finish(): tf.Scalar;
  /**
   * Set when the graph runs on the engine's graph thread: the op was then recorded at start, with
   * the value 0, and its gradient waits for the graph (backprop reaches it last, so the graph runs
   * during the caller's whole forward and backward pass). This gives weight * L_mdke, the value
   * the caller adds to its reported loss (waiting for the graph if it has not finished).
   */
  lateValue?: () => number;
}

/**
 * {@link fusedMdkeLoss} in two halves: this reads the inputs and, where the graph runs, starts it;
 * `finish()` returns the op. With `offThread` and an engine that runs graphs on a thread of their
 * own (`DenseHead.startGraph`), the graph runs while the caller computes the rest of its loss
 * (IMML starts it before the host's fusion); `finish()` then waits for it. The numbers are those
 * of fusedMdkeLoss.
 */
export function startFusedMdke(
  hs: tf.Tensor2D[], heads: ProjectionHead[], tau: number, weight = 1, eps = 1e-12, offThread = true, offloaded?: readonly OffloadedHead[],
): PendingMdke {
  const M = hs.length;
  if (heads.length !== M) throw new Error(`imml: ${M} modalities but ${heads.length} projection heads`);
  if (offloaded && offloaded.length !== M) throw new Error(`imml: ${M} modalities but ${offloaded.length} offloaded projection heads`);
  if (M < 2) return { finish: () => tf.scalar(0) };
  const n = hs[0].shape[0];
  const D = heads[0].W2.shape[1];
  const dims = hs.map((h) => h.shape[1]);
  const h = hs.map((t) => t.dataSync() as Float32Array);
  /** The op on `inputs` with the value and gradients that `compute` gives (called in its forward pass). */
  const op = (inputs: tf.Tensor[], compute: () => { value: tf.Scalar; gradFunc: (dy: tf.Tensor) => tf.Tensor[] }): tf.Scalar =>
    (tf.customGrad(compute as never) as unknown as (...xs: tf.Tensor[]) => tf.Scalar)(...inputs);
  const engine = currentTensorEngine();
  if (M === 2 && engine?.runGraph && 2 / tau <= MAX_GRAPH_SHIFT_RANGE) {
    const threaded = offThread && engine.startGraph !== undefined;
    // offloaded heads are read from their shared tables and stepped on the graph thread: the op's inputs are then the features only
    const onThread = threaded && offloaded !== undefined;
    const inputs: tf.Tensor[] = onThread ? [...hs] : [...hs, ...heads.flatMap((hd) => [hd.W1, hd.b1, hd.W2, hd.b2])];
    const par = onThread ? offloaded.map((o) => o.map((q) => q.table)) : heads.map((hd) => [hd.W1, hd.b1, hd.W2, hd.b2].map((t) => t.dataSync() as Float32Array));
    const outputs = startGraphMdkeTwo(engine, h, par, n, dims, D, tau, weight, eps, threaded, onThread ? offloaded : undefined);
    // computed for an upstream gradient of 1, the usual case; otherwise scaled by the backend
    const gradients = (dy: tf.Tensor): tf.Tensor[] => {
      const unit = (dy.dataSync() as Float32Array)[0] === 1;
      // the thread stepped the heads with the gradients of an upstream gradient of 1
      if (onThread && !unit) throw new Error('imml: L_mdke with offloaded projection heads must enter the loss as a plain summand (upstream gradient 1)');
      return outputs().grads.map(({ data, shape }) => (unit ? tf.tensor(data, shape) : tf.mul(dy, tf.tensor(data, shape))));
    };
    if (threaded) {
      const carrier = op(inputs, () => ({ value: tf.scalar(0), gradFunc: gradients }));
      return { finish: () => carrier, lateValue: () => weight * outputs().loss };
    }
    return { finish: () => op(inputs, () => ({ value: tf.scalar(weight * outputs().loss), gradFunc: gradients })) };
  }
  const inputs: tf.Tensor[] = [...hs, ...heads.flatMap((hd) => [hd.W1, hd.b1, hd.W2, hd.b2])];
  const par = heads.map((hd) => [hd.W1, hd.b1, hd.W2, hd.b2].map((t) => t.dataSync() as Float32Array));
  return {
    finish: () => op(inputs, () => {
      const fwd = par.map((pm, m) => headForward(h[m], pm, n, dims[m], D, eps));
      const Z = fwd.map((f) => f.Z);
      const { loss, dZ } = M === 2 && 2 / tau <= MAX_FIXED_SHIFT_RANGE ? ntXentTwo(Z[0], Z[1], n, D, tau) : ntXentCyclic(Z, n, D, tau);
      return {
        value: tf.scalar(weight * loss),
        gradFunc: (dy: tf.Tensor) => {
          const g = (dy.dataSync() as Float32Array)[0] * weight;
          const grads: tf.Tensor[] = new Array(inputs.length);
          for (let m = 0; m < M; m++) {
            const b = headBackward(h[m], par[m], fwd[m], dZ[m], g, n, dims[m], D);
            grads[m] = tf.tensor2d(b.dh, [n, dims[m]]);
            grads[M + 4 * m] = tf.tensor2d(b.dW1, [dims[m], D]);
            grads[M + 4 * m + 1] = tf.tensor1d(b.db1);
            grads[M + 4 * m + 2] = tf.tensor2d(b.dW2, [D, D]);
            grads[M + 4 * m + 3] = tf.tensor1d(b.db2);
          }
          return grads;
        },
      };
    }),
  };
}

/**
 * Starts L_mdke and the gradients of weight * L_mdke (in the op's input order, with their tensor
 * shapes) for M = 2 as one graph run: on the engine's graph thread when `offThread` and the engine
 * has one, else now. With `offloaded` (the caller passes it on the graph thread only), the thread steps the heads from
 * their gradients itself and only the features' gradients come back. The returned function gives the results.
 */
function startGraphMdkeTwo(
  engine: DenseHead, h: Float32Array[], par: Float32Array[][], n: number, dims: number[], D: number, tau: number, weight: number, eps: number, offThread: boolean,
  offloaded?: readonly OffloadedHead[],
): () => { loss: number; grads: { data: Float32Array; shape: number[] }[] } {
  const feeds: Record<string, GraphTensor> = {};
  const gradNames: string[] = [];
  const gradShapes: number[][] = [];
  const updates: GraphParamUpdate[] = [];
  for (const m of [0, 1]) {
    feeds[`h${m}`] = { data: h[m], dims: [n, dims[m]] };
    gradNames.push(`dh${m}`);
    gradShapes.push([n, dims[m]]);
  }
  for (const m of [0, 1]) {
    const shapes = [[dims[m], D], [D], [D, D], [D]];
    ['W1', 'b1', 'W2', 'b2'].forEach((w, j) => {
      feeds[`${w}_${m}`] = { data: par[m][j], dims: shapes[j] };
      const o = offloaded?.[m][j];
      if (o) {
        updates.push({ gradient: `d${w}_${m}`, table: o.table, optimizer: o.optimizer, scalar: o.begin() });
        return;
      }
      gradNames.push(`d${w}_${m}`);
      gradShapes.push(shapes[j]); // the graph's bias gradients are [1, D] rows: the same floats
    });
  }
  const key = `imml-mdke-two-${tau}-${weight}-${eps}-${n}`;
  const build = (): Uint8Array => mdkeTwoGraph(tau, weight, eps, n);
  const names = ['sum0', 'sum1', 'pos', ...gradNames];
  let outputs: () => Record<string, Float32Array>;
  if (offThread && engine.startGraph) outputs = engine.startGraph(key, build, feeds, names, updates);
  else {
    const now = engine.runGraph!(key, build, feeds, names);
    outputs = () => now;
  }
  let result: { loss: number; grads: { data: Float32Array; shape: number[] }[] } | undefined;
  return () => {
    if (result) return result;
    const out = outputs();
    const { sum0, sum1, pos } = out;
    let loss = 0;
    for (let i = 0; i < n; i++) loss -= (2 * pos[i] - Math.log(sum0[i]) - Math.log(sum1[i])) / n;
    result = { loss, grads: gradNames.map((name, k) => ({ data: out[name], shape: gradShapes[k] })) };
    return result;
  };
}

/** One head's forward: H = relu(h W1 + b1), X = H W2 + b2, z = X r with r = 1 / sqrt(|X|^2 + eps) per row. */
interface HeadForward { H: Float32Array; Z: Float32Array; r: Float32Array }

function headForward(h: Float32Array, par: Float32Array[], n: number, Dm: number, D: number, eps: number): HeadForward {
  const H = denseProduct(h, par[0], n, Dm, D);
  addBias(H, par[1], n, D);
  for (let i = 0; i < H.length; i++) if (H[i] < 0) H[i] = 0;
  const Z = denseProduct(H, par[2], n, D, D);
  addBias(Z, par[3], n, D);
  const r = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * D;
    let s = 0;
    for (let c = 0; c < D; c++) s += Z[o + c] * Z[o + c];
    const ri = 1 / Math.sqrt(s + eps);
    r[i] = ri;
    for (let c = 0; c < D; c++) Z[o + c] *= ri;
  }
  return { H, Z, r };
}

/** Gradients of one head from dL/dz (scaled by the upstream gradient g). */
function headBackward(h: Float32Array, par: Float32Array[], f: HeadForward, dz: Float32Array, g: number, n: number, Dm: number, D: number) {
  const { H, Z: z, r: rn } = f;
  const dX = scratch32('dX', n * D);
  for (let i = 0; i < n; i++) {
    const o = i * D;
    let dot = 0;
    for (let c = 0; c < D; c++) dot += z[o + c] * dz[o + c];
    const r = rn[i] * g;
    for (let c = 0; c < D; c++) dX[o + c] = r * (dz[o + c] - z[o + c] * dot);
  }
  // H^T dX and h^T dA with the transposes made here: ORT's Gemm with transA measured ~2.5x
  // slower than a plain product at 128 x 128, more than the copy costs
  const dW2 = denseProduct(transposeInto(scratch32('HT', D * n), H, n, D), dX, D, n, D);
  const db2 = columnSums(dX, n, D);
  const dA = productInto(scratch32('dA', n * D), dX, par[2], n, D, D, false, true);
  for (let i = 0; i < dA.length; i++) if (H[i] <= 0) dA[i] = 0;
  const dW1 = denseProduct(transposeInto(scratch32('hT', Dm * n), h, n, Dm), dA, Dm, n, D);
  const db1 = columnSums(dA, n, D);
  const dh = denseProduct(dA, par[0], n, D, Dm, false, true);
  return { dh, dW1, db1, dW2, db2 };
}

/**
 * Largest spread of the row logits (2 / tau: cosines lie in [-1, 1]) for which {@link ntXentTwo}
 * shifts every exponent by the fixed bound 1 / tau instead of the row maximum: exp(-600) is
 * still a normal float64, so no row sum underflows.
 */
const MAX_FIXED_SHIFT_RANGE = 600;

/** L_mdke and dL/dz^m for any M: one NT-Xent term per cyclic pair (m, [m+1]_M). */
function ntXentCyclic(Z: Float32Array[], n: number, D: number, tau: number): { loss: number; dZ: Float32Array[] } {
  const M = Z.length;
  const dZ = Z.map(() => new Float32Array(n * D));
  let loss = 0;
  const selfSim = Z.map((z) => denseProduct(z, z, n, D, n, false, true));
  for (let m = 0; m < M; m++) {
    const next = (m + 1) % M;
    const cross = denseProduct(Z[m], Z[next], n, D, n, false, true);
    const dCross = new Float32Array(n * n);
    const dSelf = new Float32Array(n * n);
    loss += ntXentRows(cross, selfSim[m], n, tau, dCross, dSelf);
    addInto(dZ[m], denseProduct(dCross, Z[next], n, n, D));
    addInto(dZ[m], denseProduct(dSelf, Z[m], n, n, D));
    addInto(dZ[next], denseProduct(dCross, Z[m], n, n, D, true));
  }
  return { loss, dZ };
}

/**
 * L_mdke = L^{1,2} + L^{2,1} and dL/dz^m for two modalities, sharing what the two directions
 * have in common: the cross similarities of L^{2,1} are the transpose of those of L^{1,2}, so
 * exp(cross / tau) is computed once (every exponent shifted by the bound 1 / tau rather than by
 * its row maximum, so that rows and columns share it), the self-similarity exponentials are
 * symmetric (half of them), and dz^1 = [G | dS^1] [z^2; z^1], dz^2 = [G^T | dS^2] [z^1; z^2] are
 * one product each, where G = dcross^{1,2} + (dcross^{2,1})^T.
 */
function ntXentTwo(z0: Float32Array, z1: Float32Array, n: number, D: number, tau: number): { loss: number; dZ: Float32Array[] } {
  const inv = 1 / tau;
  const cross = productInto(scratch32('cross', n * n), z0, z1, n, D, n, false, true);
  const e = scratch64('e', n * n);
  for (let k = 0; k < n * n; k++) e[k] = Math.exp((cross[k] - 1) * inv);
  const es = [z0, z1].map((z, m) => symmetricExp(productInto(scratch32('self', n * n), z, z, n, D, n, false, true), n, inv, scratch64(`es${m}`, n * n)));
  // row sums of the two directions' denominators: rows of e (anchors in 1), columns (anchors in 2)
  const sum0 = new Float64Array(n);
  const sum1 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * n;
    let s0 = 0;
    for (let j = 0; j < n; j++) {
      s0 += e[o + j];
      sum1[j] += e[o + j];
    }
    sum0[i] = s0;
  }
  const selfRowSums = es.map((x) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += x[i * n + j];
      out[i] = s;
    }
    return out;
  });
  let loss = 0;
  for (let i = 0; i < n; i++) {
    sum0[i] += selfRowSums[0][i];
    sum1[i] += selfRowSums[1][i];
    const pos = (cross[i * n + i] - 1) * inv;
    loss -= (2 * pos - Math.log(sum0[i]) - Math.log(sum1[i])) / n;
  }
  const scale = 1 / (n * tau);
  // left operands [G | dS^1] and [G^T | dS^2], [n, 2n]
  const L0 = scratch32('L0', n * 2 * n);
  const L1 = scratch32('L1', n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = e[i * n + j];
      let gij = x / sum0[i] + x / sum1[j];
      if (i === j) gij -= 2;
      gij *= scale;
      L0[i * 2 * n + j] = gij;
      L1[j * 2 * n + i] = gij;
      L0[i * 2 * n + n + j] = es[0][i * n + j] * (1 / sum0[i] + 1 / sum0[j]) * scale;
      L1[i * 2 * n + n + j] = es[1][i * n + j] * (1 / sum1[i] + 1 / sum1[j]) * scale;
    }
  }
  const R0 = scratch32('R0', 2 * n * D);
  R0.set(z1, 0);
  R0.set(z0, n * D);
  const R1 = scratch32('R1', 2 * n * D);
  R1.set(z0, 0);
  R1.set(z1, n * D);
  return { loss, dZ: [denseProduct(L0, R0, n, 2 * n, D), denseProduct(L1, R1, n, 2 * n, D)] };
}

/*
 * Temporaries that do not outlive one forward or backward call (the backward pass keeps only
 * dz and the heads' activations, and every gradient gets its own array), kept across steps: allocating ~1 MB of fresh arrays per step showed
 * up as garbage-collector time in the classification profile.
 */
const scratchF32 = new Map<string, Float32Array>();
const scratchF64 = new Map<string, Float64Array>();

function scratch32(key: string, length: number): Float32Array {
  let a = scratchF32.get(key);
  if (!a || a.length !== length) scratchF32.set(key, (a = new Float32Array(length)));
  return a;
}

function scratch64(key: string, length: number): Float64Array {
  let a = scratchF64.get(key);
  if (!a || a.length !== length) scratchF64.set(key, (a = new Float64Array(length)));
  return a;
}

/** op(a) @ op(b) into `out` (a scratch buffer): the run's engine writes there directly; otherwise denseProduct's result is copied. */
function productInto(out: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA = false, transB = false): Float32Array {
  const engine = currentTensorEngine();
  if (engine) engine.matMul(a, b, m, k, n, out, transA, transB);
  else out.set(denseProduct(a, b, m, k, n, transA, transB));
  return out;
}

/** The transpose of x [rows, cols] into `out` [cols, rows]. */
function transposeInto(out: Float32Array, x: Float32Array, rows: number, cols: number): Float32Array {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
}

/** exp((self - 1) / tau) of a symmetric similarity matrix into `out`, computed on one triangle; 0 on the diagonal (the anchor itself). */
function symmetricExp(self: Float32Array, n: number, inv: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    out[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      const v = Math.exp((self[i * n + j] - 1) * inv);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/**
 * NT-Xent of one pair from its similarity products: -mean_i log softmax([cross_i, self_i] / tau)
 * at the positive cross_ii, the anchor self_ii left out. Writes the gradients with respect to
 * cross and self (dself symmetrised, as self = z z^T) and returns the loss.
 */
function ntXentRows(cross: Float32Array, self: Float32Array, n: number, tau: number, dCross: Float32Array, dSelf: Float32Array): number {
  const inv = 1 / tau;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      const c = cross[o + j] * inv;
      if (c > max) max = c;
      const sv = self[o + j] * inv;
      if (j !== i && sv > max) max = sv;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const ec = Math.exp(cross[o + j] * inv - max);
      dCross[o + j] = ec;
      sum += ec;
      const es = j === i ? 0 : Math.exp(self[o + j] * inv - max);
      dSelf[o + j] = es;
      sum += es;
    }
    loss -= (cross[o + i] * inv - max - Math.log(sum)) / n;
    const scale = 1 / (sum * n * tau);
    for (let j = 0; j < n; j++) {
      dCross[o + j] *= scale;
      dSelf[o + j] *= scale;
    }
    dCross[o + i] -= 1 / (n * tau);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = dSelf[i * n + j] + dSelf[j * n + i];
      dSelf[i * n + j] = v;
      dSelf[j * n + i] = v;
    }
  }
  return loss;
}

function addBias(x: Float32Array, b: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) x[i * cols + c] += b[c];
}

function addInto(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i];
}

function columnSums(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(cols);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) out[c] += x[i * cols + c];
  return out;
}
