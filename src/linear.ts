/**
 * Dense (fully connected) layers over a ParamStore: x W + b with Glorot-uniform W, through
 * matMulFast (the explicit-transpose gradient that keeps the wasm backend fast).
 */
import * as tf from '@tensorflow/tfjs';
import { glorotUniform, type ParamStore, type ParamTensors } from './params';
import type { Rng } from './rng';
import { matMulFast } from './tf_ops';

/** Register W [in, out] (Glorot uniform) and b [out] (zeros) under `name.W`, `name.b`. */
export function addLinear(store: ParamStore, rng: Rng, name: string, fanIn: number, fanOut: number): void {
  store.add(`${name}.W`, [fanIn, fanOut], glorotUniform(rng.derive(`${name}.W`), fanIn, fanOut));
  store.add(`${name}.b`, [fanOut]);
}

/** x W + b for a layer registered by {@link addLinear}; x [B, in] -> [B, out]. */
export function linear(x: tf.Tensor2D, p: ParamTensors, name: string): tf.Tensor2D {
  return tf.add(matMulFast(x, p[`${name}.W`] as tf.Tensor2D), p[`${name}.b`]) as tf.Tensor2D;
}
