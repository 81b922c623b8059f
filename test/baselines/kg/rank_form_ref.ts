import type { RankForm } from '../../../src/scorer';

/** form(q, e) of each RankForm in float64: the independent reference both scorer suites check against. */
export function rankFormRef(form: RankForm, q: ArrayLike<number>, e: ArrayLike<number>): number {
  let acc = 0;
  switch (form) {
    case 'dot':
      for (let k = 0; k < q.length; k++) acc += q[k] * e[k];
      return acc;
    case 'l1':
      for (let k = 0; k < q.length; k++) acc += Math.abs(q[k] - e[k]);
      return -acc;
    case 'l2':
      for (let k = 0; k < q.length; k++) acc += (q[k] - e[k]) ** 2;
      return -Math.sqrt(acc);
    case 'complex-l1': {
      const d = q.length / 2;
      for (let k = 0; k < d; k++) acc += Math.hypot(q[k] - e[k], q[k + d] - e[k + d]);
      return -acc;
    }
  }
}
