import { floatConstant, int64Constant, model, node, value, type AttrValue } from '../../src/dense/onnx_graphs';

/**
 * TransAE's autoencoder step (see `TransAE.encodeRows`) as two ONNX graphs, for a batch in which
 * every entity has every auxiliary modality: the same equations as the typed-array path, with its
 * element-wise loops (the sigmoid, the residuals, the sigmoid's derivative, the bias sums) in ORT's
 * vectorised kernels instead of JS loops over [U, d] and [U, D_m]. U (the batch's entities) is
 * symbolic; the widths are fixed per graph.
 *
 * Forward. Inputs S [U, d], b [d], per modality m: x_m [U, D_m], W_m [D_m, d], Ud_m [d, D_m],
 * ud_m [D_m]. c = sigmoid(sum_m x_m W_m + b), rows = S + c, res_m = c Ud_m + ud_m - x_m,
 * sq_m = sum(res_m^2). Outputs rows, c, res_m, sq_m.
 *
 * Backward. Inputs dRows [U, d], c [U, d], scale [1] (2 auxWeight / C), per modality res_m, x_m,
 * Ud_m. dRec_m = scale res_m; dUd_m = c^T dRec_m; dud_m = sum_u dRec_m;
 * dc = dRows + sum_m dRec_m Ud_m^T; dpre = dc c (1 - c), its float32 subnormals set to zero (as
 * the typed-array path does: they slow the products down); db = sum_u dpre; dW_m = x_m^T dpre.
 */
export function transaeForwardGraph(dims: readonly number[], d: number): Uint8Array {
  const nodes: ReturnType<typeof node>[] = [];
  const add = (op: string, inputs: string[], out: string, attrs: Record<string, AttrValue> = {}): string => {
    nodes.push(node(op, inputs, [out], attrs));
    return out;
  };
  // each Gemm adds its product to the previous one through C (the first to b)
  let pre = 'b';
  dims.forEach((_, m) => (pre = add('Gemm', [`x${m}`, `W${m}`, pre], `pre${m}`)));
  const c = add('Sigmoid', [pre], 'c');
  add('Add', ['S', c], 'rows');
  dims.forEach((_, m) => {
    const res = add('Sub', [add('Gemm', [c, `Ud${m}`, `ud${m}`], `rec${m}`), `x${m}`], `res${m}`);
    add('ReduceSumSquare', [res], `sq${m}`, { keepdims: 0 });
  });
  const inputs = [value('S', ['U', d]), value('b', [d]), ...dims.flatMap((D, m) => [value(`x${m}`, ['U', D]), value(`W${m}`, [D, d]), value(`Ud${m}`, [d, D]), value(`ud${m}`, [D])])];
  const outputs = [value('rows', ['U', d]), value('c', ['U', d]), ...dims.map((D, m) => value(`res${m}`, ['U', D])), ...dims.map((_, m) => value(`sq${m}`, []))];
  return model('transae-forward', nodes, inputs, outputs);
}

/** The backward graph of {@link transaeForwardGraph} (equations there). */
export function transaeBackwardGraph(dims: readonly number[], d: number): Uint8Array {
  const nodes: ReturnType<typeof node>[] = [];
  const add = (op: string, inputs: string[], out: string, attrs: Record<string, AttrValue> = {}): string => {
    nodes.push(node(op, inputs, [out], attrs));
    return out;
  };
  let dc = 'dRows';
  dims.forEach((_, m) => {
    const dRec = add('Mul', [`res${m}`, 'scale'], `dRec${m}`);
    add('Gemm', ['c', dRec], `dUd${m}`, { transA: 1 });
    add('ReduceSum', [dRec, 'ax0'], `dud${m}`, { keepdims: 0 });
    dc = add('Gemm', [dRec, `Ud${m}`, dc], `dc${m}`, { transB: 1 });
  });
  const dpreRaw = add('Mul', [add('Mul', [dc, 'c'], 'dcc'), add('Sub', ['one', 'c'], 'oneMinusC')], 'dpreRaw');
  const dpre = add('Where', [add('Less', [add('Abs', [dpreRaw], 'absDpre'), 'tiny'], 'subnormal'), 'zero', dpreRaw], 'dpre');
  add('ReduceSum', [dpreRaw, 'ax0'], 'db', { keepdims: 0 });
  dims.forEach((_, m) => add('Gemm', [`x${m}`, dpre], `dW${m}`, { transA: 1 }));
  const consts = [floatConstant('one', [1]), floatConstant('zero', [0]), floatConstant('tiny', [1.1754943508222875e-38]), int64Constant('ax0', [0])];
  const inputs = [value('dRows', ['U', d]), value('c', ['U', d]), value('scale', [1]), ...dims.flatMap((D, m) => [value(`res${m}`, ['U', D]), value(`x${m}`, ['U', D]), value(`Ud${m}`, [d, D])])];
  const outputs = [
    ...dims.flatMap((D, m) => [value(`dUd${m}`, [d, D]), value(`dud${m}`, [D]), value(`dW${m}`, [D, d])]),
    value('db', [d]),
  ];
  return model('transae-backward', nodes, inputs, outputs, consts);
}
