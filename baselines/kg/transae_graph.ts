import { GraphNodes, floatConstant, int64Constant, model, value } from '../../src/dense/onnx_graphs';

/**
 * TransAE's autoencoder step (see `TransAE.encodeRows`) as two ONNX graphs: the same equations as
 * the typed-array path, with its element-wise loops (the sigmoid, the residuals, the sigmoid's
 * derivative, the bias sums) and its row gathers and scatters in ORT's kernels instead of JS loops
 * over [U, d] and [U, D_m]. U (the batch's entities) and P_m (those with modality m) are symbolic;
 * the widths, and which modalities every batch entity has (`everyRow`), are fixed per graph.
 *
 * Forward. Inputs S [U, d], b [d], present [U, 1] (1 where the entity has any modality), per
 * modality m: x_m [P_m, D_m] (the feature rows of the entities that have it), W_m [D_m, d],
 * Ud_m [d, D_m], ud_m [D_m], and unless every entity has it, at_m [P_m] (their rows in the batch,
 * as floats: graph feeds are float32). c = sigmoid(sum_m scatter_m(x_m W_m) + b),
 * rows = S + present c, res_m = c[at_m] Ud_m + ud_m - x_m, sq_m = sum(res_m^2). Outputs rows, c,
 * res_m, sq_m.
 *
 * Backward. Inputs dRows [U, d], c [U, d], present, scale [1] (2 auxWeight / C), per modality
 * res_m, x_m, Ud_m (and at_m). dRec_m = scale res_m; dUd_m = c[at_m]^T dRec_m; dud_m = sum_p dRec_m;
 * dc = present dRows + sum_m scatter_m(dRec_m Ud_m^T); dpre = dc c (1 - c), with its float32
 * subnormals set to zero before the products (as the typed-array path does: they slow products
 * down); db = sum_u dc c (1 - c); dW_m = x_m^T dpre[at_m].
 *
 * Opset 16, for ScatterND's add reduction (the rows at_m are distinct).
 */
export function transaeForwardGraph(dims: readonly number[], d: number, everyRow: readonly boolean[]): Uint8Array {
  const g = new TransaeGraphNodes();
  let acc = g.add('Mul', ['S', 'zero'], 'acc'); // zeros [U, d]
  dims.forEach((_, m) => {
    const prod = g.add('MatMul', [`x${m}`, `W${m}`], `prod${m}`);
    acc = everyRow[m] ? g.add('Add', [acc, prod], `acc${m}`) : g.add('ScatterND', [acc, g.rowIndex(m), prod], `acc${m}`, { reduction: { string: 'add' } });
  });
  const c = g.add('Sigmoid', [g.add('Add', [acc, 'b'], 'pre')], 'c');
  g.add('Add', ['S', g.add('Mul', [c, 'present'], 'presentC')], 'rows');
  dims.forEach((_, m) => {
    const cm = everyRow[m] ? c : g.add('Gather', [c, g.rows(m)], `c${m}`, { axis: 0 });
    const res = g.add('Sub', [g.add('Gemm', [cm, `Ud${m}`, `ud${m}`], `rec${m}`), `x${m}`], `res${m}`);
    g.add('ReduceSumSquare', [res], `sq${m}`, { keepdims: 0 });
  });
  const inputs = [
    value('S', ['U', d]), value('b', [d]), value('present', ['U', 1]),
    ...dims.flatMap((D, m) => [value(`x${m}`, [`P${m}`, D]), value(`W${m}`, [D, d]), value(`Ud${m}`, [d, D]), value(`ud${m}`, [D]), ...(everyRow[m] ? [] : [value(`at${m}`, [`P${m}`])])]),
  ];
  const outputs = [value('rows', ['U', d]), value('c', ['U', d]), ...dims.map((D, m) => value(`res${m}`, [`P${m}`, D])), ...dims.map((_, m) => value(`sq${m}`, []))];
  return model('transae-forward', g.nodes, inputs, outputs, g.constants(), 16);
}

/** The backward graph of {@link transaeForwardGraph} (equations there). */
export function transaeBackwardGraph(dims: readonly number[], d: number, everyRow: readonly boolean[]): Uint8Array {
  const g = new TransaeGraphNodes();
  let dc = g.add('Mul', ['dRows', 'present'], 'dcPresent');
  dims.forEach((_, m) => {
    const dRec = g.add('Mul', [`res${m}`, 'scale'], `dRec${m}`);
    const cm = everyRow[m] ? 'c' : g.add('Gather', ['c', g.rows(m)], `c${m}`, { axis: 0 });
    g.add('Gemm', [cm, dRec], `dUd${m}`, { transA: 1 });
    g.add('ReduceSum', [dRec, 'ax0'], `dud${m}`, { keepdims: 0 });
    const back = g.add('Gemm', [dRec, `Ud${m}`], `back${m}`, { transB: 1 });
    dc = everyRow[m] ? g.add('Add', [dc, back], `dc${m}`) : g.add('ScatterND', [dc, g.rowIndex(m), back], `dc${m}`, { reduction: { string: 'add' } });
  });
  const dpreRaw = g.add('Mul', [g.add('Mul', [dc, 'c'], 'dcc'), g.add('Sub', ['one', 'c'], 'oneMinusC')], 'dpreRaw');
  const dpre = g.add('Where', [g.add('Less', [g.add('Abs', [dpreRaw], 'absDpre'), 'tiny'], 'subnormal'), 'zero', dpreRaw], 'dpre');
  g.add('ReduceSum', [dpreRaw, 'ax0'], 'db', { keepdims: 0 });
  dims.forEach((_, m) => {
    const dpm = everyRow[m] ? dpre : g.add('Gather', [dpre, g.rows(m)], `dpre${m}`, { axis: 0 });
    g.add('Gemm', [`x${m}`, dpm], `dW${m}`, { transA: 1 });
  });
  const inputs = [
    value('dRows', ['U', d]), value('c', ['U', d]), value('present', ['U', 1]), value('scale', [1]),
    ...dims.flatMap((D, m) => [value(`res${m}`, [`P${m}`, D]), value(`x${m}`, [`P${m}`, D]), value(`Ud${m}`, [d, D]), ...(everyRow[m] ? [] : [value(`at${m}`, [`P${m}`])])]),
  ];
  const outputs = [...dims.flatMap((D, m) => [value(`dUd${m}`, [d, D]), value(`dud${m}`, [D]), value(`dW${m}`, [D, d])]), value('db', [d])];
  return model('transae-backward', g.nodes, inputs, outputs, g.constants(), 16);
}

/** Graph nodes with the row-index nodes of each partial modality made once. */
class TransaeGraphNodes extends GraphNodes {
  private readonly made = new Set<string>();

  /** at_m as int64 [P_m] (Gather's indices). */
  rows(m: number): string {
    const name = `rows${m}`;
    if (!this.made.has(name)) {
      this.add('Cast', [`at${m}`], name, { to: 7 }); // INT64
      this.made.add(name);
    }
    return name;
  }

  /** at_m as int64 [P_m, 1] (ScatterND's indices). */
  rowIndex(m: number): string {
    const name = `rowIndex${m}`;
    if (!this.made.has(name)) {
      this.add('Unsqueeze', [this.rows(m), 'ax1'], name);
      this.made.add(name);
    }
    return name;
  }

  /** The constants the nodes use (ORT warns of unused ones). */
  constants(): ReturnType<typeof floatConstant>[] {
    const used = new Set(this.nodes.flatMap((n) => n.input ?? []));
    return [floatConstant('one', [1]), floatConstant('zero', [0]), floatConstant('tiny', [1.1754943508222875e-38]), int64Constant('ax0', [0]), int64Constant('ax1', [1])]
      .filter((c) => used.has(c.name as string));
  }
}
