/**
 * Shared helpers of the structural KG scorers (not a scorer: the registry lists scorers explicitly).
 * Initialisers fill row-major tables in place from a seeded `Rng`; `Math.random` is never used.
 */
import type { Rng } from '../../src/rng';
import type { ScorerOptions, TripleKernel } from '../../src/scorer';

/**
 * Epsilon added under every square root of a distance: sqrt(x + DIST_EPS).
 * Gives a finite gradient (0 instead of 0/0) when the distance is exactly zero; it shifts a
 * distance by at most sqrt(DIST_EPS) ~ 3.2e-5 (at distance 0) and by ~DIST_EPS / (2 dist) elsewhere,
 * which is below float32 resolution for any distance above ~1e-4.
 */
export const DIST_EPS = 1e-9;

/**
 * Validates the options shared by every scorer and returns `dim`.
 * Throws on a non-positive or non-integer dim, or a non-positive / non-finite initStd.
 */
export function checkOptions(scorer: string, options: ScorerOptions): number {
  const dim = options?.dim;
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${scorer}: dim must be a positive integer, got ${dim}`);
  if (options.initStd !== undefined && !(options.initStd > 0 && Number.isFinite(options.initStd))) {
    throw new Error(`${scorer}: initStd must be a positive finite number, got ${options.initStd}`);
  }
  if (options.gamma !== undefined && !Number.isFinite(options.gamma)) {
    throw new Error(`${scorer}: gamma must be finite, got ${options.gamma}`);
  }
  return dim;
}

/** Throws unless `table` holds at least rows*width floats. */
export function checkTable(table: Float32Array, rows: number, width: number, what: string): void {
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`${what}: rows must be a non-negative integer, got ${rows}`);
  if (table.length < rows * width) {
    throw new Error(`${what}: table holds ${table.length} floats, need rows*width = ${rows}*${width}`);
  }
}

/** Fills table[0 .. n) with uniform(-bound, bound) draws. */
export function fillUniform(table: Float32Array, n: number, bound: number, rng: Rng): void {
  const span = 2 * bound;
  for (let i = 0; i < n; i++) table[i] = rng.next() * span - bound;
}

/** Fills table[0 .. n) with normal(0, std) draws. */
export function fillNormal(table: Float32Array, n: number, std: number, rng: Rng): void {
  for (let i = 0; i < n; i++) table[i] = rng.normal() * std;
}

/**
 * Rescales rows to unit L2 norm in place: row <- row / ||row||_2 (zero rows are left as they are).
 * `rows`/`count` select row ids; without them rows 0 .. nRows-1 are all normalised.
 */
export function normalizeRowsL2(
  table: Float32Array, width: number, nRows: number, rows?: Int32Array, count?: number,
): void {
  const n = rows ? (count ?? rows.length) : nRows;
  for (let i = 0; i < n; i++) {
    const off = (rows ? rows[i] : i) * width;
    let ss = 0;
    for (let k = 0; k < width; k++) {
      const v = table[off + k];
      ss += v * v;
    }
    if (ss > 0) {
      const inv = 1 / Math.sqrt(ss);
      for (let k = 0; k < width; k++) table[off + k] *= inv;
    }
  }
}

/**
 * Default initialisation of the bilinear scorers (DistMult, ComplEx): normal(0, initStd) when
 * initStd is set (the kbc recipe), else uniform(-6/sqrt(dim), 6/sqrt(dim)) over the first n values.
 */
export function fillBilinearInit(table: Float32Array, n: number, dim: number, initStd: number | undefined, rng: Rng): void {
  if (initStd !== undefined) fillNormal(table, n, initStd, rng);
  else fillUniform(table, n, 6 / Math.sqrt(dim), rng);
}

/**
 * A fused kernel whose whole backward is its `backwardSlice` over every coordinate: the slice is
 * what data-parallel training splits over threads, so each kernel writes its backward once.
 */
export abstract class SlicedTripleKernel implements TripleKernel {
  constructor(readonly coordinates: number) {}

  abstract score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number;

  abstract backwardSlice(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number,
  ): void;

  backward(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void {
    this.backwardSlice(E, hOff, R, rOff, tOff, g, gE, gHOff, gTOff, gR, gROff, 0, this.coordinates);
  }
}
