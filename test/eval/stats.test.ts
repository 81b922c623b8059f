import { expect } from 'chai';
import { formatMeanStd, mean, sampleStd, sampleVariance, studentTTest, twoSidedP } from '../../eval/stats';

/**
 * Reference values: closed forms of the Student t CDF for small integer df (stated per test)
 * and scipy 1.17 (`scipy.stats.ttest_ind` / `ttest_rel`), whose outputs are quoted verbatim.
 */

/** Two-sided p-value for df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)). */
function p2(t: number): number {
  const F = 0.5 + -Math.abs(t) / (2 * Math.sqrt(2 + t * t));
  return 2 * F;
}

/** Two-sided p-value for df = 4: F(t) = 1/2 + (3/8) (t / sqrt(q)) (1 - t^2 / (12 q)), q = 1 + t^2/4. */
function p4(t: number): number {
  const u = -Math.abs(t);
  const q = 1 + (u * u) / 4;
  const F = 0.5 + (3 / 8) * (u / Math.sqrt(q)) * (1 - (u * u) / (12 * q));
  return 2 * F;
}

/** Two-sided p-value for df = 1 (Cauchy): F(t) = 1/2 + atan(t)/pi. */
function p1(t: number): number {
  return 2 * (0.5 + Math.atan(-Math.abs(t)) / Math.PI);
}

/**
 * Independent numerical two-sided p-value for any df >= 1: with s = sqrt(df) tan(theta), the t
 * density becomes proportional to cos^(df-1)(theta) on [0, pi/2), so
 * p = int_{theta0}^{pi/2} cos^(df-1) / int_0^{pi/2} cos^(df-1), theta0 = atan(|t| / sqrt(df)).
 * Composite Simpson's rule.
 */
function pNumeric(t: number, df: number, intervals = 200000): number {
  const f = (th: number): number => Math.pow(Math.max(0, Math.cos(th)), df - 1);
  const simpson = (a: number, b: number): number => {
    const h = (b - a) / intervals;
    let s = f(a) + f(b);
    for (let i = 1; i < intervals; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
    return (s * h) / 3;
  };
  const th0 = Math.atan(Math.abs(t) / Math.sqrt(df));
  return simpson(th0, Math.PI / 2) / simpson(0, Math.PI / 2);
}

describe('stats', () => {
  describe('mean, sampleStd', () => {
    it('match hand-computed values', () => {
      expect(mean([1, 2, 3, 4])).to.equal(2.5);
      // squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / (n - 1) = 5/3
      expect(sampleVariance([1, 2, 3, 4])).to.be.closeTo(5 / 3, 1e-15);
      expect(sampleStd([1, 2, 3, 4])).to.be.closeTo(Math.sqrt(5 / 3), 1e-15);
      // numpy: np.std([0.61, 0.64, 0.59, 0.66, 0.63], ddof=1) = 0.027018512172212617
      expect(sampleStd([0.61, 0.64, 0.59, 0.66, 0.63])).to.be.closeTo(0.027018512172212617, 1e-15);
    });
    it('is accurate for values with a large common offset', () => {
      const xs = [1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4];
      expect(sampleVariance(xs)).to.be.closeTo(5 / 3, 1e-6);
    });
    it('handles degenerate sizes without throwing', () => {
      expect(mean([])).to.be.NaN;
      expect(sampleStd([])).to.be.NaN;
      expect(sampleStd([3])).to.be.NaN;
      expect(sampleStd([2, 2, 2])).to.equal(0);
    });
  });

  describe('twoSidedP', () => {
    it('agrees with the closed forms for df = 1, 2, 4', () => {
      for (const t of [0.1, 0.5, 1, 2.2, 5, 30]) {
        // jStat's incomplete beta is good to ~3e-8 at df = 1 and small |t| (measured), far below
        // the precision a results table needs.
        expect(twoSidedP(t, 1)).to.be.closeTo(p1(t), 1e-7);
        expect(twoSidedP(-t, 2)).to.be.closeTo(p2(t), 1e-9);
        expect(twoSidedP(t, 4)).to.be.closeTo(p4(t), 1e-9);
      }
      expect(twoSidedP(0, 7)).to.be.closeTo(1, 1e-12);
    });
    it('agrees with numerical integration for non-integer df', () => {
      for (const [t, df] of [[2.3, 1.47], [0.4, 3.58], [6.2, 5.88], [1.9, 17.3]]) {
        expect(twoSidedP(t, df)).to.be.closeTo(pNumeric(t, df), 2e-6);
      }
    });
    it('handles infinities and invalid df', () => {
      expect(twoSidedP(Infinity, 3)).to.equal(0);
      expect(twoSidedP(-Infinity, 3)).to.equal(0);
      expect(twoSidedP(NaN, 3)).to.be.NaN;
      expect(twoSidedP(1, 0)).to.be.NaN;
    });
  });

  describe('studentTTest', () => {
    it('a = [1, 2], b = [3, 5]: t = -sqrt(5), df = 2, closed-form p', () => {
      // means 1.5 and 4, variances 0.5 and 2, pooled 1.25, se = sqrt(1.25 (1/2 + 1/2)) = sqrt(1.25)
      const r = studentTTest([1, 2], [3, 5]);
      expect(r.t).to.be.closeTo(-Math.sqrt(5), 1e-12);
      expect(r.df).to.equal(2);
      // p = 2 (1/2 - sqrt5 / (2 sqrt7)) = 1 - sqrt(5/7); scipy: 0.1548457452714834
      expect(r.p).to.be.closeTo(1 - Math.sqrt(5 / 7), 1e-10);
      expect(r.p).to.be.closeTo(0.1548457452714834, 1e-10);
    });
    it('a = [1, 2, 3], b = [4, 5, 6]: t = -3/sqrt(2/3), df = 4', () => {
      const r = studentTTest([1, 2, 3], [4, 5, 6]);
      expect(r.t).to.be.closeTo(-3 / Math.sqrt(2 / 3), 1e-12);
      expect(r.df).to.equal(4);
      expect(r.p).to.be.closeTo(p4(r.t), 1e-10);
      // scipy: statistic -3.6742346141747673, pvalue 0.021311641128756713
      expect(r.p).to.be.closeTo(0.021311641128756713, 1e-10);
    });
    it('matches scipy on result-table-like samples', () => {
      // scipy.stats.ttest_ind([.881,.884,.879,.883,.880], [.872,.869,.875,.871]):
      // statistic 6.3477619115508555, pvalue 0.0003860548601339717, df 7
      const r = studentTTest([0.881, 0.884, 0.879, 0.883, 0.88], [0.872, 0.869, 0.875, 0.871]);
      expect(r.t).to.be.closeTo(6.3477619115508555, 1e-9);
      expect(r.df).to.equal(7);
      expect(r.p).to.be.closeTo(0.0003860548601339717, 1e-10);
      // ttest_ind([10.1,12.3,9.8,11.0,13.4,10.7], [8.2,14.9,7.1,12.5]): 0.33702345697586306, 0.7447706437907705
      const s = studentTTest([10.1, 12.3, 9.8, 11.0, 13.4, 10.7], [8.2, 14.9, 7.1, 12.5]);
      expect(s.t).to.be.closeTo(0.33702345697586306, 1e-12);
      expect(s.df).to.equal(8);
      expect(s.p).to.be.closeTo(0.7447706437907705, 1e-9);
    });
    it('is antisymmetric in its arguments', () => {
      const a = [3.1, 2.7, 3.5, 2.9];
      const b = [2.2, 2.8, 2.5];
      const r = studentTTest(a, b);
      const s = studentTTest(b, a);
      expect(s.t).to.be.closeTo(-r.t, 1e-12);
      expect(s.p).to.be.closeTo(r.p, 1e-12);
    });
    it('allows one single-observation sample when df >= 1', () => {
      // a = [5], b = [1, 2, 3]: pooled = (0 + 2) / 2 = 1, se = sqrt(1 + 1/3), diff 3
      const r = studentTTest([5], [1, 2, 3]);
      expect(r.df).to.equal(2);
      expect(r.t).to.be.closeTo(3 / Math.sqrt(4 / 3), 1e-12);
      expect(r.p).to.be.closeTo(p2(r.t), 1e-10);
    });
    it('degenerate cases follow the documented rule and never throw', () => {
      for (const r of [studentTTest([], [1, 2]), studentTTest([1], [2]), studentTTest([], [])]) {
        expect(r.t).to.be.NaN;
        expect(r.df).to.be.NaN;
        expect(r.p).to.be.NaN;
      }
      expect(studentTTest([1, 1], [1, 1])).to.deep.equal({ t: 0, df: 2, p: 1 });
      expect(studentTTest([1, 1], [2, 2])).to.deep.equal({ t: -Infinity, df: 2, p: 0 });
      expect(studentTTest([3, 3, 3], [2, 2])).to.deep.equal({ t: Infinity, df: 3, p: 0 });
      expect(studentTTest([1, NaN], [1, 2]).p).to.be.NaN;
    });
  });

  describe('formatMeanStd', () => {
    it('formats mean ± sample std', () => {
      // mean 0.881, std of [0.878, 0.881, 0.884] = 0.003
      expect(formatMeanStd([0.878, 0.881, 0.884], 3)).to.equal('0.881 ± 0.003');
      expect(formatMeanStd([1, 2, 3, 4], 2)).to.equal('2.50 ± 1.29');
      expect(formatMeanStd([0.5], 3)).to.equal('0.500');
      expect(formatMeanStd([], 3)).to.equal('n/a');
      expect(formatMeanStd([-0.0001, 0.0001], 3)).to.equal('0.000 ± 0.000');
    });
  });
});
