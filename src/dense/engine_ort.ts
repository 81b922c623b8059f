import * as os from 'node:os';
import type { Binding } from 'onnxruntime-node/dist/binding';
import type { Tensor as OrtTensor, TensorConstructor } from 'onnxruntime-common';
import { checkBlock, checkMatMul, fillTargets, graphFeedSize, type DenseBlock, type DenseHead, type GraphParamUpdate, type GraphTensor, type HeadGrads, type HeadLoss, type ScoreTable } from './head';
import { gemmGraph, lossGraph, scoreGraph, type GraphLoss } from './onnx_graphs';
import { GraphThread } from './graph_thread';

/** Execution providers of onnxruntime-node this engine drives. */
export type OrtDevice = 'cpu' | 'webgpu' | 'cuda';

interface OrtModules {
  binding: { InferenceSession: Binding.InferenceSessionConstructor };
  Tensor: TensorConstructor;
  version: string;
}

let loaded: OrtModules | undefined;

/**
 * onnxruntime-node's native binding, loaded on first use. We call the binding's synchronous
 * `run` (the public InferenceSession wraps the same call in a Promise + setImmediate): the
 * head sits inside synchronous training steps and tfjs custom gradients.
 */
function ort(): OrtModules {
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const b = require('onnxruntime-node/dist/binding') as typeof import('onnxruntime-node/dist/binding');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const common = require('onnxruntime-common') as typeof import('onnxruntime-common');
  b.initOrt();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = (require('onnxruntime-node/package.json') as { version: string }).version;
  loaded = { binding: b.binding, Tensor: common.Tensor, version };
  return loaded;
}

type Session = Binding.InferenceSession;

/**
 * A float32 view as an ORT tensor (no copy on CPU: ORT reads and writes the JS memory).
 * The binding rejects SharedArrayBuffer memory ("Invalid argument"): callers stage those.
 */
function tensor(data: Float32Array, dims: number[]): OrtTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return new (ort().Tensor)('float32', data.length === n ? data : data.subarray(0, n), dims);
}

/** Reusable plain-ArrayBuffer copies of shared inputs (the KG tables live on SharedArrayBuffers). */
class Staging {
  private buf = new Float32Array(0);
  of(data: Float32Array, n: number): Float32Array {
    if (!(data.buffer instanceof SharedArrayBuffer)) return data;
    if (this.buf.length < n) this.buf = new Float32Array(n);
    this.buf.set(data.subarray(0, n));
    return this.buf;
  }
}

/**
 * One graph thread per device for the whole process, shared by every OrtHead: starting one (a
 * worker that loads onnxruntime-node) took 0.1-0.2 s, which a fit of one epoch would pay each
 * time. It is unref'd, so it never keeps the process alive.
 */
const graphThreads = new Map<OrtDevice, GraphThread>();

/**
 * The dense head on ONNX Runtime: one graph per job built in code (onnx_graphs.ts), one session
 * per graph with symbolic B/N/d, intra-op threads = cores, sequential execution. Targets, row
 * weights, row losses and the caller's dQ/dE buffers are reused across batches and handed to
 * `run` as preallocated outputs, so ORT writes the gradients straight into them.
 * (The Node binding still returns its own copy of every output; we ignore it.)
 */
export class OrtHead implements DenseHead {
  readonly name;
  readonly description: string;
  private readonly sessions = new Map<string, Session>();
  private Y = new Float32Array(0);
  private w = new Float32Array(0);
  private rowLoss = new Float32Array(0);
  private readonly stageQ = new Staging();
  private readonly stageE = new Staging();

  constructor(readonly device: OrtDevice, readonly threads = os.availableParallelism()) {
    this.name = `ort-${device}` as const;
    // Fail here, not at the first batch: creating one session proves the provider loads.
    this.session('score');
    this.description = `ort-${device} (onnxruntime-node ${ort().version}, ${device === 'cpu' ? `MLAS, ${threads} threads` : `${device} execution provider`})`;
  }

  private session(kind: 'score' | GraphLoss | `gemm-${number}${number}`): Session {
    // looked up first: this runs per batch, and the builder closure is only needed once
    return this.sessions.get(kind) ?? this.sessionOf(kind, () => (kind === 'score' ? scoreGraph() : kind.startsWith('gemm-') ? gemmGraph(kind[5] === '1', kind[6] === '1') : lossGraph(kind as GraphLoss)));
  }

  private sessionOf(kind: string, build: () => Uint8Array): Session {
    let s = this.sessions.get(kind);
    if (s) return s;
    const bytes = build();
    s = new (ort().binding.InferenceSession)();
    try {
      s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
        executionProviders: [this.device],
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new Error(`--engine ort-${this.device}: onnxruntime-node could not create a session (${firstLine(err)})`);
    }
    this.sessions.set(kind, s);
    return s;
  }

  lossAndGrads(b: DenseBlock, spec: HeadLoss, out: HeadGrads): number {
    checkBlock(b, out);
    if (out.dQ.buffer instanceof SharedArrayBuffer || out.dE.buffer instanceof SharedArrayBuffer) throw new Error('dense head (ort): gradient buffers must not be SharedArrayBuffer-backed');
    const { B, N, d } = b;
    const weight = spec.weight ?? 1 / B;
    if (this.Y.length < B * N) this.Y = new Float32Array(B * N);
    if (this.w.length < B) {
      this.w = new Float32Array(B);
      this.rowLoss = new Float32Array(B);
    }
    fillTargets(spec.targets, B, N, this.Y);
    this.w.fill(weight, 0, B);
    const feeds = { Q: tensor(this.stageQ.of(b.Q, B * d), [B, d]), E: tensor(this.stageE.of(b.E, N * d), [N, d]), Y: tensor(this.Y, [B, N]), w: tensor(this.w, [B, 1]) };
    const fetches = { rowLoss: tensor(this.rowLoss, [B]), dQ: tensor(out.dQ, [B, d]), dE: tensor(out.dE, [N, d]) };
    this.session(spec.loss).run(feeds, fetches, {});
    let loss = 0;
    for (let i = 0; i < B; i++) loss += this.rowLoss[i];
    return weight * loss;
  }

  prepareScores(E: Float32Array, N: number, d: number): ScoreTable & { E: OrtTensor } {
    checkBlock({ Q: E, E, B: 1, N, d });
    // Its own copy when shared: the handle outlives this call.
    const own = E.buffer instanceof SharedArrayBuffer ? E.slice(0, N * d) : E;
    return { E: tensor(own, [N, d]), N, d, dispose: () => undefined };
  }

  scores(table: ScoreTable, Q: Float32Array, B: number, out: Float32Array): void {
    const t = table as ScoreTable & { E: OrtTensor };
    checkBlock({ Q, E: Q, B, N: 1, d: t.d });
    if (out.length < B * t.N) throw new Error(`dense head: score buffer holds ${out.length} floats, need ${B} x ${t.N}`);
    this.session('score').run({ Q: tensor(this.stageQ.of(Q, B * t.d), [B, t.d]), E: t.E }, { S: tensor(out, [B, t.N]) }, {});
  }

  matMul(A: Float32Array, B: Float32Array, m: number, k: number, n: number, out: Float32Array, transA = false, transB = false): void {
    checkMatMul(A, B, m, k, n, out);
    const a = tensor(this.stageQ.of(A, m * k), transA ? [k, m] : [m, k]);
    const b = tensor(this.stageE.of(B, k * n), transB ? [n, k] : [k, n]);
    this.session(`gemm-${+transA}${+transB}`).run({ A: a, B: b }, { C: tensor(out, [m, n]) }, {});
  }

  runGraph(key: string, build: () => Uint8Array, feeds: Record<string, GraphTensor>, outputs: readonly string[]): Record<string, Float32Array> {
    const inputs: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (t.data.buffer instanceof SharedArrayBuffer) throw new Error(`dense graph ${key}: '${name}' must not be SharedArrayBuffer-backed`);
      graphFeedSize(key, name, t);
      inputs[name] = tensor(t.data, t.dims);
    }
    // null fetches: ORT allocates the outputs and the binding hands them over; with preallocated
    // ones it fills them and still returns a copy of each (measured: 137 vs 85 us for one 128^3 Gemm)
    const fetches: Record<string, null> = {};
    for (const name of outputs) fetches[name] = null;
    const results = this.sessionOf(`graph:${key}`, build).run(inputs, fetches, {}) as Record<string, { data: Float32Array }>;
    const out: Record<string, Float32Array> = {};
    for (const name of outputs) out[name] = results[name].data;
    return out;
  }

  /** runGraph on the process's graph thread for this device (one intra-op thread; the caller keeps its core). */
  startGraph(
    key: string, build: () => Uint8Array, feeds: Record<string, GraphTensor>, outputs: readonly string[], updates?: readonly GraphParamUpdate[],
  ): () => Record<string, Float32Array> {
    let thread = graphThreads.get(this.device);
    if (!thread || thread.failed) graphThreads.set(this.device, (thread = new GraphThread(this.device, 1)));
    return thread.start(key, build, feeds, outputs, updates);
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 400);
}
