import { onnx } from 'onnx-proto';

/**
 * ONNX graphs of the dense all-entity head, built in code (no model files): symbolic
 * dimensions B (queries), N (entities), d (row width), so one session serves every batch.
 * Inputs Q [B, d], E [N, d]; the loss graphs also take dense targets Y [B, N] and row
 * weights w [B, 1]. Opset 13 (Softmax/LogSoftmax act on one axis; ReduceSum takes axes as an input).
 */

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** A float32 graph input or output; string dims are symbolic. */
export function value(name: string, dims: (string | number)[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((x) => (typeof x === 'string' ? { dimParam: x } : { dimValue: x })) } } },
  };
}

/** A node attribute: an integer (INT; other numbers FLOAT), a list of integers (INTS), `{ float: x }` for a FLOAT that happens to be whole (Gemm's alpha 2), or `{ string: s }` (ScatterND's reduction). */
export type AttrValue = number | number[] | { float: number } | { string: string };

/** One graph node named after its first output. */
export function node(opType: string, input: string[], output: string[], attrs: Record<string, AttrValue> = {}): onnx.INodeProto {
  const T = onnx.AttributeProto.AttributeType;
  const attribute = Object.entries(attrs).map(([name, v]) =>
    Array.isArray(v) ? { name, type: T.INTS, ints: v }
      : typeof v === 'object' ? ('string' in v ? { name, type: T.STRING, s: new TextEncoder().encode(v.string) } : { name, type: T.FLOAT, f: v.float })
        : Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v },
  );
  return { opType, input, output, attribute, name: output[0] };
}

/** The nodes of a graph under construction, in order; `add` returns the node's output name. */
export class GraphNodes {
  readonly nodes: onnx.INodeProto[] = [];

  add(op: string, inputs: string[], out: string, attrs: Record<string, AttrValue> = {}): string {
    this.nodes.push(node(op, inputs, [out], attrs));
    return out;
  }
}

/** A serialised model of `nodes` (topologically ordered), opset 13 unless given (16: ScatterND's reduction). */
export function model(name: string, nodes: onnx.INodeProto[], inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[], initializer: onnx.ITensorProto[] = [], opset = 13): Uint8Array {
  const m = onnx.ModelProto.create({
    irVersion: opset > 13 ? 8 : 7,
    producerName: 'mmkge',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name, node: nodes, input: inputs, output: outputs, initializer },
  });
  return onnx.ModelProto.encode(m).finish();
}

/** A constant float32 tensor (an initializer) of the given dims. */
export function floatConstant(name: string, values: number[], dims: number[] = [values.length]): onnx.ITensorProto {
  return { name, dataType: FLOAT, dims, floatData: values };
}

/** A constant int64 tensor, e.g. the axes input of ReduceSum. */
export function int64Constant(name: string, values: number[]): onnx.ITensorProto {
  return { name, dataType: INT64, dims: [values.length], int64Data: values };
}

/** S = Q E^T: the score block of ranking (one Gemm with transB, E stays row-major). */
export function scoreGraph(): Uint8Array {
  return model('scores', [node('Gemm', ['Q', 'E'], ['S'], { transB: 1 })], [value('Q', ['B', 'd']), value('E', ['N', 'd'])], [value('S', ['B', 'N'])]);
}

/** The loss kinds a fused graph implements. */
export type GraphLoss = 'ce' | 'bce';

/**
 * Forward and backward of the all-entity head in one graph (one session run per batch):
 * S = Q E^T; CE: L = LogSoftmax(S), rowLoss = -sum_j Y L, P = exp(L); BCE: P = sigmoid(S),
 * rowLoss = sum_j softplus(S) - Y S; G = (P - Y) * w; dQ = G E (MatMul); dE = G^T Q (one
 * Gemm with transA, the largest product of the step, never an explicit transpose).
 */
export function lossGraph(loss: GraphLoss): Uint8Array {
  const axes = int64Constant('axes1', [1]);
  const nodes: onnx.INodeProto[] = [node('Gemm', ['Q', 'E'], ['S'], { transB: 1 })];
  if (loss === 'ce') {
    nodes.push(
      node('LogSoftmax', ['S'], ['L'], { axis: 1 }),
      node('Exp', ['L'], ['P']),
      node('Mul', ['Y', 'L'], ['YL']),
      node('ReduceSum', ['YL', 'axes1'], ['negRowLoss'], { keepdims: 0 }),
      node('Neg', ['negRowLoss'], ['rowLoss']),
    );
  } else {
    nodes.push(
      node('Sigmoid', ['S'], ['P']),
      node('Softplus', ['S'], ['SP']),
      node('Mul', ['Y', 'S'], ['YS']),
      node('Sub', ['SP', 'YS'], ['elemLoss']),
      node('ReduceSum', ['elemLoss', 'axes1'], ['rowLoss'], { keepdims: 0 }),
    );
  }
  nodes.push(
    node('Sub', ['P', 'Y'], ['D']),
    node('Mul', ['D', 'w'], ['G']),
    node('MatMul', ['G', 'E'], ['dQ']),
    node('Gemm', ['G', 'Q'], ['dE'], { transA: 1 }),
  );
  return model(
    `head-${loss}`,
    nodes,
    [value('Q', ['B', 'd']), value('E', ['N', 'd']), value('Y', ['B', 'N']), value('w', ['B', 1])],
    [value('rowLoss', ['B']), value('dQ', ['B', 'd']), value('dE', ['N', 'd'])],
    [axes],
  );
}

/**
 * The same CE step as two graphs (forward to G, then dQ and dE from G), kept to measure what
 * fusing forward and backward into one session run saves (`npm run bench -- --part dense`).
 */
export function splitCeGraphs(): { forward: Uint8Array; backward: Uint8Array } {
  const axes = int64Constant('axes1', [1]);
  const forward = model(
    'head-ce-forward',
    [
      node('Gemm', ['Q', 'E'], ['S'], { transB: 1 }),
      node('LogSoftmax', ['S'], ['L'], { axis: 1 }),
      node('Exp', ['L'], ['P']),
      node('Mul', ['Y', 'L'], ['YL']),
      node('ReduceSum', ['YL', 'axes1'], ['negRowLoss'], { keepdims: 0 }),
      node('Neg', ['negRowLoss'], ['rowLoss']),
      node('Sub', ['P', 'Y'], ['D']),
      node('Mul', ['D', 'w'], ['G']),
    ],
    [value('Q', ['B', 'd']), value('E', ['N', 'd']), value('Y', ['B', 'N']), value('w', ['B', 1])],
    [value('rowLoss', ['B']), value('G', ['B', 'N'])],
    [axes],
  );
  const backward = model(
    'head-ce-backward',
    [node('MatMul', ['G', 'E'], ['dQ']), node('Gemm', ['G', 'Q'], ['dE'], { transA: 1 })],
    [value('G', ['B', 'N']), value('Q', ['B', 'd']), value('E', ['N', 'd'])],
    [value('dQ', ['B', 'd']), value('dE', ['N', 'd'])],
  );
  return { forward, backward };
}

/** C = op(A) op(B) for the engine's general product (OTKGE's fusion); transA / transB as in Gemm. */
export function gemmGraph(transA: boolean, transB: boolean): Uint8Array {
  const a = transA ? ['K', 'M'] : ['M', 'K'];
  const b = transB ? ['N', 'K'] : ['K', 'N'];
  return model(`gemm-${+transA}${+transB}`, [node('Gemm', ['A', 'B'], ['C'], { transA: +transA, transB: +transB })], [value('A', a), value('B', b)], [value('C', ['M', 'N'])]);
}
