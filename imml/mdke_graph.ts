import { GraphNodes, floatConstant, int64Constant, model, value } from '../src/dense/onnx_graphs';

/**
 * L_mdke for two modalities (Eq. 2-3: L^{1,2} + L^{2,1}, each a mean over the n anchors) with its
 * two projection heads, forward and hand-derived backward, as one ONNX graph: the same
 * equations as `ntXentTwo` and `headForward` / `headBackward` in mdke_fused.ts, but one session
 * run per step instead of 17 product calls and JS loops over the [n, n] similarity blocks.
 *
 * One graph per (tau, weight, eps, n): the scalars and the [n, n] masks are constants, folded into the
 * Gemms' alpha / beta / C (ORT's per-node cost, ~10 us here, is what a graph of small nodes pays).
 * Inputs: h0 [n, D0], h1 [n, D1]; per head m: W1_m [D_m, D], b1_m [D], W2_m [D, D], b2_m [D].
 * Outputs: the row sums `sum0` [n, 1], `sum1` [1, n] and positive logits `pos` [n, 1], from which
 * L = -(1/n) sum_i (2 pos_i - log sum0_i - log sum1_i) (host side, n logs); and the gradients of
 * weight * L: dh_m, dW1_m, db1_m [1, D], dW2_m, db2_m [1, D].
 *
 * Every exponent is shifted by the bound 1 / tau (cosines lie in [-1, 1]), as in ntXentTwo, so
 * rows and columns of exp(cross / tau) share one matrix; in float32 that needs 2 / tau <= 80
 * ({@link MAX_GRAPH_SHIFT_RANGE}), since exp(-87) is float32's smallest normal.
 */
export function mdkeTwoGraph(tau: number, weight: number, eps: number, n: number): Uint8Array {
  const g = new GraphNodes();
  const add = g.add.bind(g);
  const inv = 1 / tau;
  const s = weight / (n * tau); // every gradient is linear in this factor
  const eye = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
  const consts = [
    floatConstant('zero', [0]),
    floatConstant('eps', [eps]),
    floatConstant('minusHalf', [-0.5]),
    floatConstant('negInv', [-inv]),
    floatConstant('s', [s]),
    floatConstant('onesRow', new Array<number>(n).fill(1), [1, n]),
    floatConstant('I', eye, [n, n]),
    floatConstant('offDiag', eye.map((x) => 1 - x), [n, n]),
    int64Constant('ax1', [1]),
  ];
  const rowSums = (x: string, out: string): string => add('ReduceSum', [x, 'ax1'], out, { keepdims: 1 });
  // heads forward: A = h W1 + b1, H = relu(A), X = H W2 + b2, r = (|X|^2 + eps)^(-1/2), z = X r
  const Z: string[] = [];
  const R: string[] = [];
  const A: string[] = [];
  const H: string[] = [];
  for (const m of [0, 1]) {
    A.push(add('Gemm', [`h${m}`, `W1_${m}`, `b1_${m}`], `A${m}`));
    H.push(add('Relu', [A[m]], `H${m}`));
    const X = add('Gemm', [H[m], `W2_${m}`, `b2_${m}`], `X${m}`);
    const ss = add('ReduceSumSquare', [X], `ss${m}`, { axes: [1], keepdims: 1 });
    R.push(add('Pow', [add('Add', [ss, 'eps'], `sse${m}`), 'minusHalf'], `r${m}`));
    Z.push(add('Mul', [X, R[m]], `Z${m}`));
  }
  // shifted logits (z z'^T - 1) / tau as one Gemm each (alpha 1/tau, C = -1/tau); E = exp(cross), ES_m = exp(self_m) off the diagonal
  const Ct = add('Gemm', [Z[0], Z[1], 'negInv'], 'Ct', { transB: 1, alpha: { float: inv } });
  const E = add('Exp', [Ct], 'E');
  const ES = [0, 1].map((m) => add('Mul', [add('Exp', [add('Gemm', [Z[m], Z[m], 'negInv'], `St${m}`, { transB: 1, alpha: { float: inv } })], `ESr${m}`), 'offDiag'], `ES${m}`));
  rowSums(add('Mul', [Ct, 'I'], 'CtI'), 'pos');
  // denominators: anchors in modality 1 sum the rows of E, anchors in modality 2 its columns
  // (column sums as a ones-row product: ORT's axis-0 ReduceSum is ~3x slower); ES_1 is symmetric
  const sum0 = add('Add', [rowSums(E, 'rE'), rowSums(ES[0], 'rS0')], 'sum0'); // [n, 1]
  const sum1 = add('Add', [add('MatMul', ['onesRow', E], 'cE'), add('Transpose', [rowSums(ES[1], 'rS1')], 'rS1T')], 'sum1'); // [1, n]
  // G = E (s / sum0 + s / sum1^T) - 2 s I; dS_m = ES_m (s / sum_m + s / sum_m^T) (symmetric)
  const q0 = add('Div', ['s', sum0], 'q0'); // [n, 1]
  const q1 = add('Div', ['s', sum1], 'q1'); // [1, n]
  const EP = add('Mul', [E, add('Add', [q0, q1], 'P01')], 'EP');
  const dS0 = add('Mul', [ES[0], add('Add', [q0, add('Transpose', [q0], 'q0T')], 'P0')], 'dS0');
  const dS1 = add('Mul', [ES[1], add('Add', [add('Transpose', [q1], 'q1T'), q1], 'P1')], 'dS1');
  // dz0 = G z1 + dS0 z0 = EP z1 + dS0 z0 - 2 s z1; dz1 = G^T z0 + dS1 z1 = EP^T z0 + dS1 z1 - 2 s z0
  const dZ = [
    add('Gemm', [EP, Z[1], add('Gemm', [dS0, Z[0], Z[1]], 'dZ0a', { beta: { float: -2 * s } })], 'dZ0'),
    add('Gemm', [EP, Z[0], add('Gemm', [dS1, Z[1], Z[0]], 'dZ1a', { beta: { float: -2 * s } })], 'dZ1', { transA: 1 }),
  ];
  // heads backward: dX = r (dz - z (z . dz)); then the second layer, the ReLU and the first layer
  for (const m of [0, 1]) {
    const dot = rowSums(add('Mul', [Z[m], dZ[m]], `zdz${m}`), `dot${m}`);
    const dX = add('Mul', [add('Sub', [dZ[m], add('Mul', [Z[m], dot], `zdot${m}`)], `dXr${m}`), R[m]], `dX${m}`);
    add('Gemm', [H[m], dX], `dW2_${m}`, { transA: 1 });
    add('MatMul', ['onesRow', dX], `db2_${m}`);
    const dA = add('Where', [add('Greater', [A[m], 'zero'], `on${m}`), add('Gemm', [dX, `W2_${m}`], `dAr${m}`, { transB: 1 }), 'zero'], `dA${m}`);
    add('Gemm', [`h${m}`, dA], `dW1_${m}`, { transA: 1 });
    add('MatMul', ['onesRow', dA], `db1_${m}`);
    add('Gemm', [dA, `W1_${m}`], `dh${m}`, { transB: 1 });
  }
  const inputs = [0, 1].flatMap((m) => [
    value(`h${m}`, [n, `D${m}`]), value(`W1_${m}`, [`D${m}`, 'D']), value(`b1_${m}`, ['D']), value(`W2_${m}`, ['D', 'D']), value(`b2_${m}`, ['D']),
  ]);
  const outputs = [value('sum0', [n, 1]), value('sum1', [1, n]), value('pos', [n, 1]), ...[0, 1].flatMap((m) => [
    value(`dh${m}`, [n, `D${m}`]), value(`dW1_${m}`, [`D${m}`, 'D']), value(`db1_${m}`, [1, 'D']), value(`dW2_${m}`, ['D', 'D']), value(`db2_${m}`, [1, 'D']),
  ])];
  return model('imml-mdke-two', g.nodes, inputs, outputs, consts);
}

/** Largest spread of the row logits (2 / tau) for which {@link mdkeTwoGraph}'s float32 exponentials stay normal. */
export const MAX_GRAPH_SHIFT_RANGE = 80;
