/**
 * Summary statistics and the two-sample t-test of the result tables (mean ± std over seeds, and
 * the significance test of the paper's Table III, Student's equal-variance t-test).
 *
 * Degenerate inputs never throw:
 * - too few observations for the test → `{ t: NaN, df: NaN, p: NaN }`;
 * - zero variance (every sample constant): equal means → `t = 0, p = 1` (identical samples,
 *   no evidence of a difference); different means → `t = ±Infinity, p = 0` (the limit as the
 *   variance goes to 0), `df` keeping its value;
 * - NaN in the data propagates to NaN results.
 * p-values are two-sided, from jStat's Student t CDF.
 */

/** The part of jStat used here (the package ships no type declarations). */
interface JStatStudentT {
  cdf(x: number, dof: number): number;
}
const { jStat } = require('jstat') as { jStat: { studentt: JStatStudentT } };

/** Result of a t-test: statistic, degrees of freedom and two-sided p-value. */
export interface TTestResult {
  /** t statistic (sign: mean of the first sample minus the second). */
  t: number;
  /** Degrees of freedom. */
  df: number;
  /** Two-sided p-value in [0, 1]. */
  p: number;
}

const INVALID: TTestResult = Object.freeze({ t: NaN, df: NaN, p: NaN });

/** Arithmetic mean; NaN for an empty array. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Unbiased sample variance (divisor n - 1), two-pass; NaN for n < 2. */
export function sampleVariance(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  let c = 0; // compensation term of the corrected two-pass algorithm
  for (const v of values) {
    ss += (v - m) * (v - m);
    c += v - m;
  }
  return Math.max(0, (ss - (c * c) / n) / (n - 1));
}

/** Sample standard deviation with divisor n - 1; NaN for n < 2. */
export function sampleStd(values: readonly number[]): number {
  return Math.sqrt(sampleVariance(values));
}

/** Two-sided p-value of a t statistic with `df` degrees of freedom. */
export function twoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  if (t === 0) return 1; // exact; jStat's incomplete beta gives 1 - O(1e-8) here
  const p = 2 * jStat.studentt.cdf(-Math.abs(t), df);
  return Math.min(1, Math.max(0, p));
}

/** t = diff / se with the zero-variance rule of the module comment; p from `df`. */
function finish(diff: number, se: number, df: number): TTestResult {
  if (Number.isNaN(diff) || Number.isNaN(se)) return { t: NaN, df, p: NaN };
  if (se === 0) {
    if (diff === 0) return { t: 0, df, p: 1 };
    return { t: diff > 0 ? Infinity : -Infinity, df, p: 0 };
  }
  const t = diff / se;
  return { t, df, p: twoSidedP(t, df) };
}

/**
 * Student's two-sample t-test with pooled (equal) variances, two-sided; as
 * `scipy.stats.ttest_ind(a, b)` (equal_var=True). Needs n_a, n_b >= 1 and n_a + n_b >= 3
 * (df = n_a + n_b - 2 >= 1); otherwise all fields are NaN.
 */
export function studentTTest(a: readonly number[], b: readonly number[]): TTestResult {
  const na = a.length;
  const nb = b.length;
  if (na < 1 || nb < 1 || na + nb < 3) return { ...INVALID };
  const df = na + nb - 2;
  const ssa = na > 1 ? sampleVariance(a) * (na - 1) : 0;
  const ssb = nb > 1 ? sampleVariance(b) * (nb - 1) : 0;
  const pooled = (ssa + ssb) / df;
  return finish(mean(a) - mean(b), Math.sqrt(pooled * (1 / na + 1 / nb)), df);
}

/**
 * "mean ± std" with `digits` decimals (sample std, n - 1), e.g. "0.881 ± 0.003". A single value
 * has no std and is printed alone ("0.881"); an empty list gives "n/a". A mean that rounds to
 * zero is printed without a minus sign.
 */
export function formatMeanStd(values: readonly number[], digits = 3): string {
  if (values.length === 0) return 'n/a';
  const fmt = (v: number): string => {
    const s = v.toFixed(digits);
    return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
  };
  const m = fmt(mean(values));
  if (values.length < 2) return m;
  return `${m} ± ${fmt(sampleStd(values))}`;
}
