import * as tf from '@tensorflow/tfjs';
import { denseProduct } from '../src/dense/products';

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
 */
export function fusedMdkeLoss(hs: tf.Tensor2D[], heads: ProjectionHead[], tau: number, eps = 1e-12): tf.Scalar {
  const M = hs.length;
  if (heads.length !== M) throw new Error(`imml: ${M} modalities but ${heads.length} projection heads`);
  if (M < 2) return tf.scalar(0);
  const n = hs[0].shape[0];
  const D = heads[0].W2.shape[1];
  const dims = hs.map((h) => h.shape[1]);
  const inputs: tf.Tensor[] = [...hs];
  for (const hd of heads) inputs.push(hd.W1, hd.b1, hd.W2, hd.b2);
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const ts = args.slice(0, inputs.length) as tf.Tensor[];
    const h = ts.slice(0, M).map((t) => t.dataSync() as Float32Array);
    const par = (m: number, j: number): Float32Array => ts[M + 4 * m + j].dataSync() as Float32Array;
    // forward: A = h W1 + b1, H = relu(A), X = H W2 + b2, z = X r
    const H: Float32Array[] = [];
    const Z: Float32Array[] = [];
    const rn: Float32Array[] = [];
    for (let m = 0; m < M; m++) {
      const A = denseProduct(h[m], par(m, 0), n, dims[m], D);
      addBias(A, par(m, 1), n, D);
      for (let i = 0; i < A.length; i++) if (A[i] < 0) A[i] = 0;
      H.push(A);
      const X = denseProduct(A, par(m, 2), n, D, D);
      addBias(X, par(m, 3), n, D);
      const r = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = i * D; c < i * D + D; c++) s += X[c] * X[c];
        r[i] = 1 / Math.sqrt(s + eps);
        for (let c = i * D; c < i * D + D; c++) X[c] *= r[i];
      }
      rn.push(r);
      Z.push(X);
    }
    const dZ = Z.map(() => new Float32Array(n * D));
    let loss = 0;
    const selfSim = Z.map((z) => denseProduct(z, z, n, D, n, false, true));
    for (let m = 0; m < M; m++) {
      const next = (m + 1) % M;
      const cross = denseProduct(Z[m], Z[next], n, D, n, false, true);
      const self = selfSim[m];
      const dCross = new Float32Array(n * n);
      const dSelf = new Float32Array(n * n);
      loss += ntXentRows(cross, self, n, tau, dCross, dSelf);
      addInto(dZ[m], denseProduct(dCross, Z[next], n, n, D));
      addInto(dZ[m], denseProduct(dSelf, Z[m], n, n, D));
      addInto(dZ[next], denseProduct(dCross, Z[m], n, n, D, true));
    }
    return {
      value: tf.scalar(loss),
      gradFunc: (dy: tf.Tensor) => {
        const g = (dy.dataSync() as Float32Array)[0];
        const grads: tf.Tensor[] = new Array(inputs.length);
        for (let m = 0; m < M; m++) {
          const z = Z[m];
          const dz = dZ[m];
          const dX = new Float32Array(n * D);
          for (let i = 0; i < n; i++) {
            let dot = 0;
            for (let c = i * D; c < i * D + D; c++) dot += z[c] * dz[c];
            const r = rn[m][i] * g;
            for (let c = i * D; c < i * D + D; c++) dX[c] = r * (dz[c] - z[c] * dot);
          }
          const dW2 = denseProduct(H[m], dX, D, n, D, true);
          const db2 = columnSums(dX, n, D);
          const dA = denseProduct(dX, par(m, 2), n, D, D, false, true);
          for (let i = 0; i < dA.length; i++) if (H[m][i] <= 0) dA[i] = 0;
          const dW1 = denseProduct(h[m], dA, dims[m], n, D, true);
          const db1 = columnSums(dA, n, D);
          const dh = denseProduct(dA, par(m, 0), n, D, dims[m], false, true);
          grads[m] = tf.tensor2d(dh, [n, dims[m]]);
          grads[M + 4 * m] = tf.tensor2d(dW1, [dims[m], D]);
          grads[M + 4 * m + 1] = tf.tensor1d(db1);
          grads[M + 4 * m + 2] = tf.tensor2d(dW2, [D, D]);
          grads[M + 4 * m + 3] = tf.tensor1d(db2);
        }
        return grads;
      },
    };
  }) as never) as unknown as (...xs: tf.Tensor[]) => tf.Scalar;
  return op(...inputs);
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
