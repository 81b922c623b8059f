import * as vega from 'vega';
import type { ColorScheme } from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../src/atomic';

/**
 * Annotated heatmaps rendered headless to SVG with Vega-Lite, for hyper-parameter grids such as
 * Fig. 4 of the IMML paper (gamma1 x gamma2 against accuracy or MRR).
 */

/** One cell of the grid. A non-finite value (a missing run) is drawn grey and labelled "n/a". */
export interface HeatmapCell {
  row: string;
  col: string;
  value: number;
}

/** Titles and layout of a heatmap. */
export interface HeatmapOptions {
  /** Chart title. */
  title: string;
  /** Title of the row (y) axis, e.g. "gamma1". */
  rowTitle: string;
  /** Title of the column (x) axis, e.g. "gamma2". */
  colTitle: string;
  /** Title of the colour legend, e.g. "accuracy". */
  valueTitle: string;
  /**
   * Row order, top to bottom. Rows of `cells` not listed follow in first-appearance order.
   * Default: first-appearance order in `cells` (not alphabetical: "1e-1" < "1e-10" < "1e-2").
   */
  rowOrder?: string[];
  /** Column order, left to right; same rules as `rowOrder`. */
  colOrder?: string[];
  /** Decimals of the value printed in each cell (default 3). */
  digits?: number;
  /** Vega colour scheme (default "viridis"). */
  scheme?: string;
}

/** The label printed in a cell: `value.toFixed(digits)`, or "n/a" for a non-finite value. */
export function heatmapLabel(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function order(given: readonly string[] | undefined, present: readonly string[]): string[] {
  const out = [...(given ?? [])];
  const seen = new Set(out);
  for (const v of present) {
    if (!seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  }
  return out;
}

/** The Vega-Lite spec of a heatmap (exposed for inspection and tests). */
export function heatmapSpec(cells: readonly HeatmapCell[], opts: HeatmapOptions): TopLevelSpec {
  if (cells.length === 0) throw new Error('heatmap: no cells');
  const keys = new Set<string>();
  for (const c of cells) {
    const k = JSON.stringify([c.row, c.col]);
    if (keys.has(k)) throw new Error(`heatmap: duplicate cell (row '${c.row}', col '${c.col}')`);
    keys.add(k);
  }
  const digits = opts.digits ?? 3;
  const rows = order(opts.rowOrder, cells.map((c) => c.row));
  const cols = order(opts.colOrder, cells.map((c) => c.col));
  const finite = cells.map((c) => c.value).filter((v) => Number.isFinite(v));
  const mid = finite.length > 0 ? (Math.min(...finite) + Math.max(...finite)) / 2 : 0;
  const values = cells.map((c) => ({
    row: c.row,
    col: c.col,
    value: Number.isFinite(c.value) ? c.value : null,
    label: heatmapLabel(c.value, digits),
  }));
  const x = { field: 'col', type: 'ordinal' as const, sort: cols, title: opts.colTitle, axis: { labelAngle: 0 } };
  const y = { field: 'row', type: 'ordinal' as const, sort: rows, title: opts.rowTitle };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title,
    data: { values },
    width: { step: 14 + 8 * (digits + 2) },
    height: { step: 28 },
    config: { scale: { invalid: { color: { value: '#d9d9d9' } } }, view: { stroke: null } },
    layer: [
      {
        mark: { type: 'rect', invalid: 'show' },
        encoding: {
          x,
          y,
          color: {
            field: 'value',
            type: 'quantitative',
            title: opts.valueTitle,
            scale: { scheme: (opts.scheme ?? 'viridis') as ColorScheme },
          },
          tooltip: [
            { field: 'row', title: opts.rowTitle },
            { field: 'col', title: opts.colTitle },
            { field: 'label', title: opts.valueTitle },
          ],
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          x,
          y,
          text: { field: 'label' },
          // Dark cells (low end of viridis) get white text.
          color: { condition: { test: `isValid(datum.value) && datum.value < ${mid}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/**
 * Render an annotated heatmap to an SVG string: one rect per cell coloured by value, the value
 * printed in each cell, titles on the axes, the legend and the chart. Throws on an empty or
 * duplicated cell list.
 */
export async function renderHeatmapSvg(cells: readonly HeatmapCell[], opts: HeatmapOptions): Promise<string> {
  const spec = vl.compile(heatmapSpec(cells, opts)).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render a heatmap and write it to `file` atomically (parent folders are created). */
export async function writeHeatmap(file: string, cells: readonly HeatmapCell[], opts: HeatmapOptions): Promise<void> {
  writeFileAtomic(file, await renderHeatmapSvg(cells, opts));
}
