/** Rank metrics of one direction (realistic ranks). */
export interface RankMetricsLike {
  mr: number;
  mrr: number;
  'hits@1': number;
  'hits@3': number;
  'hits@10': number;
}

/** A Markdown table of head / tail / both metrics. */
export function formatRankTable(title: string, m: { head: RankMetricsLike; tail: RankMetricsLike; both: RankMetricsLike; filtered?: boolean }): string {
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
