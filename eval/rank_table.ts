import type { RankMetrics } from './metrics';

/**
 * A Markdown table of head / tail / both rank metrics (realistic ranks), titled with whether the
 * ranking was filtered. MR with one decimal, the others with four.
 */
export function formatRankTable(title: string, m: { head: RankMetrics; tail: RankMetrics; both: RankMetrics; filtered?: boolean }): string {
  const rows = [
    `${title} (${m.filtered === false ? 'UNFILTERED' : 'filtered'}, realistic ranks)`,
    '| direction | MR | MRR | H@1 | H@3 | H@10 |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const dir of ['head', 'tail', 'both'] as const) {
    const x = m[dir];
    rows.push(`| ${dir} | ${x.mr.toFixed(1)} | ${x.mrr.toFixed(4)} | ${x['hits@1'].toFixed(4)} | ${x['hits@3'].toFixed(4)} | ${x['hits@10'].toFixed(4)} |`);
  }
  return rows.join('\n');
}
