import { Rng } from '../../src/rng';

/** A seeded [rows, W] table of uniform(-1, 1) float32 values (the SIMD kernel tests' inputs). */
export function randomTable(rows: number, W: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * W }, () => rng.next() * 2 - 1);
}
