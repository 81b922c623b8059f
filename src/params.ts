import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng';
import { createOptimizer, toShared, type OptimizerName, type SharedOptimizerState, type SparseOptimizer } from './optim';
import type { ArrayBundle } from './tensor_file';

/** One dense parameter: a row-major Float32Array and its shape. */
export interface DenseParam {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Tensors of every parameter for one differentiable forward pass, by name. */
export type ParamTensors = Readonly<Record<string, tf.Tensor>>;

/**
 * The dense trainable parameters of a model (projection matrices, plug-in weights, classifier
 * layers): typed arrays that live outside tfjs, uploaded for a step, differentiated with
 * `tf.grads`, and updated by our own optimisers. Keeping them as typed arrays makes checkpoints
 * and determinism the same as for the embedding tables.
 */
export class ParamStore {
  private readonly params = new Map<string, DenseParam>();

  /** Register a parameter; `init` fills it (default zeros). Names must be unique. */
  add(name: string, shape: number[], init?: (data: Float32Array) => void): DenseParam {
    if (this.params.has(name)) throw new Error(`parameter '${name}' registered twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const p: DenseParam = { shape: [...shape], data: new Float32Array(size) };
    init?.(p.data);
    this.params.set(name, p);
    return p;
  }

  get(name: string): DenseParam {
    const p = this.params.get(name);
    if (!p) throw new Error(`unknown parameter '${name}' (known: ${this.names().join(', ')})`);
    return p;
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  names(): string[] {
    return [...this.params.keys()];
  }

  /** Total number of floats. */
  size(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.data.length;
    return n;
  }

  /**
   * Moves parameter `name` onto a SharedArrayBuffer (values kept) and returns its new array, for
   * another thread to update in place. Callers that held the old array must fetch it again.
   */
  share(name: string): Float32Array {
    const p = this.get(name);
    if (p.data.buffer instanceof SharedArrayBuffer) return p.data;
    const data = toShared(p.data);
    this.params.set(name, { shape: p.shape, data });
    return data;
  }

  /** Upload every parameter (the caller disposes them, e.g. inside tf.tidy). */
  tensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, p] of this.params) out[name] = tf.tensor(p.data, p.shape as number[]);
    return out;
  }

  /** Copy into an array bundle under `prefix.name` (checkpoints). */
  toBundle(prefix: string, bundle: ArrayBundle): void {
    for (const [name, p] of this.params) bundle[`${prefix}.${name}`] = p.data.slice();
  }

  /** Restore from a bundle written by toBundle; a missing or mis-sized entry is an error. */
  fromBundle(prefix: string, bundle: ArrayBundle, source: string): void {
    for (const [name, p] of this.params) {
      const v = bundle[`${prefix}.${name}`];
      if (!v || v.length !== p.data.length) throw new Error(`${source}: parameter '${name}' missing or of the wrong size`);
      p.data.set(v as Float32Array);
    }
  }
}

/** Glorot/Xavier uniform initialiser for a [fanIn, fanOut] matrix (Glorot & Bengio 2010). */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number): (data: Float32Array) => void {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return (data) => {
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) * limit;
  };
}

/** Fill with a constant. */
export function constant(value: number): (data: Float32Array) => void {
  return (data) => data.fill(value);
}

/**
 * A parameter whose optimiser steps another thread may take (see DenseOptimizer.offload): its
 * values and optimiser state on SharedArrayBuffers, and `begin()`, which starts one step there
 * (advancing the step count; it returns the step's scalar for `applyRowRange` with the whole
 * table as one row) and makes the next `DenseOptimizer.step` leave the parameter alone.
 */
export interface OffloadedParam {
  readonly table: Float32Array;
  readonly optimizer: SharedOptimizerState;
  begin(): number;
}

/** One optimiser per parameter (Adam or Adagrad, dense steps). */
export class DenseOptimizer {
  private readonly opts = new Map<string, SparseOptimizer>();
  /** Offloaded parameters whose step of the current round another thread has begun. */
  private readonly begun = new Set<string>();

  constructor(private readonly store: ParamStore, name: OptimizerName, lr: number) {
    for (const n of store.names()) this.opts.set(n, createOptimizer(name, 1, store.get(n).data.length, { lr }));
  }

  /** Apply gradients given by parameter name (parameters without a gradient are left as they are). */
  step(grads: Readonly<Record<string, Float32Array>>): void {
    for (const [name, g] of Object.entries(grads)) {
      if (this.begun.has(name)) continue;
      const p = this.store.get(name);
      this.opts.get(name)!.stepDense(p.data, p.data.length, g);
    }
    this.begun.clear();
  }

  /** True when another thread has begun this round's step of parameter `name` (see `offload`). */
  begunElsewhere(name: string): boolean {
    return this.begun.has(name);
  }

  /**
   * Lets another thread take the steps of parameter `name` (IMML's projection heads, stepped on the
   * graph thread that computes their gradients, so their gradients never come back): each step
   * that thread takes is begun with `begin()`, and this optimiser's next `step()` skips the
   * parameter; in a step without `begin()` it is stepped here as before. The numbers are those of
   * stepping it here. Undefined when the optimiser cannot share its state.
   */
  offload(name: string): OffloadedParam | undefined {
    const o = this.opts.get(name);
    if (!o) throw new Error(`unknown parameter '${name}' (known: ${[...this.opts.keys()].join(', ')})`);
    if (!o.shareState || !o.beginRowStep) return undefined;
    const optimizer = o.shareState();
    const table = this.store.share(name);
    return {
      table,
      optimizer,
      begin: () => {
        if (this.begun.has(name)) throw new Error(`parameter '${name}': a second offloaded step began before step()`);
        this.begun.add(name);
        return o.beginRowStep!();
      },
    };
  }

  /** Optimiser state for checkpoints, flattened to `prefix.param.key`. */
  toBundle(prefix: string, bundle: ArrayBundle, scalars: Record<string, number>): void {
    for (const [name, o] of this.opts) {
      for (const [k, v] of Object.entries(o.state())) {
        if (typeof v === 'number') scalars[`${prefix}.${name}.${k}`] = v;
        else bundle[`${prefix}.${name}.${k}`] = v;
      }
    }
  }

  fromBundle(prefix: string, bundle: ArrayBundle, scalars: Record<string, number>): void {
    for (const [name, o] of this.opts) {
      const key = `${prefix}.${name}.`;
      const s: Record<string, Float32Array | number> = {};
      for (const [k, v] of Object.entries(bundle)) if (k.startsWith(key)) s[k.slice(key.length)] = v as Float32Array;
      for (const [k, v] of Object.entries(scalars)) if (k.startsWith(key)) s[k.slice(key.length)] = v;
      o.loadState(s);
    }
  }
}

/** Loss terms of the running lossAndGrads whose values arrive after its backward pass. */
let lateTerms: (() => number)[] | undefined;

/**
 * Inside the loss function of `lossAndGrads`: adds `value()` to the loss it reports, read after
 * the backward pass. For an op that runs on another thread and enters the tape with the value 0
 * while its gradient waits for it (IMML's L_mdke on the dense engine's graph thread).
 */
export function addLateLossTerm(value: () => number): void {
  if (!lateTerms) throw new Error('addLateLossTerm: only inside the loss function of lossAndGrads');
  lateTerms.push(value);
}

/**
 * Loss value and gradients w.r.t. some input tensors and every parameter of `store`.
 * `lossFn` receives the inputs and the parameter tensors. Parameters (or inputs) the loss does not
 * use get a zero gradient: the engine's `gradients` is called with allowNoGradients, which
 * tf.grads does not expose. All results are plain typed arrays; every tensor is disposed.
 * `steppedElsewhere` (asked after the backward pass): parameters that get no entry at all, because
 * another thread steps them this round (DenseOptimizer.begunElsewhere), so no zero array is made.
 */
export function lossAndGrads(
  store: ParamStore,
  inputs: tf.Tensor[],
  lossFn: (inputs: tf.Tensor[], params: ParamTensors) => tf.Scalar,
  steppedElsewhere?: (name: string) => boolean,
): { loss: number; inputGrads: Float32Array[]; paramGrads: Record<string, Float32Array> } {
  const names = store.names();
  const paramTensors = store.tensors();
  const xs = [...inputs, ...names.map((n) => paramTensors[n])];
  const outer = lateTerms;
  const late: (() => number)[] = (lateTerms = []);
  let value: tf.Tensor;
  let grads: tf.Tensor[];
  try {
    ({ value, grads } = tf.engine().gradients(() => lossFn(inputs, paramTensors), xs, undefined, true));
  } finally {
    lateTerms = outer;
  }
  let loss = (value.dataSync() as Float32Array)[0];
  for (const term of late) loss += term();
  const skip = (i: number): boolean => i >= inputs.length && !grads[i] && steppedElsewhere !== undefined && steppedElsewhere(names[i - inputs.length]);
  const arrays = xs.map((x, i) => (grads[i] ? (grads[i].dataSync() as Float32Array) : skip(i) ? undefined : new Float32Array(x.size)));
  tf.dispose([value, ...grads.filter((g) => g)]);
  tf.dispose(Object.values(paramTensors));
  const paramGrads: Record<string, Float32Array> = {};
  names.forEach((n, i) => {
    const g = arrays[inputs.length + i];
    if (g) paramGrads[n] = g;
  });
  return { loss, inputGrads: arrays.slice(0, inputs.length) as Float32Array[], paramGrads };
}
