import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { heatmapLabel, renderHeatmapSvg, writeHeatmap, type HeatmapCell, type HeatmapOptions } from '../../eval/heatmap';

/** Checks that every start tag is closed in order (a minimal well-formedness test); returns the root tag name. */
function checkBalanced(svg: string): string {
  const stack: string[] = [];
  let root = '';
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    // Text between tags must not contain a raw '<' (it would be an unparsed tag).
    expect(svg.slice(last, m.index)).to.not.include('<');
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      expect(stack.pop(), `closing </${name}>`).to.equal(name);
    } else {
      if (!root) root = name;
      else expect(stack.length, `<${name}> outside the root`).to.be.greaterThan(0);
      if (!selfClosing) stack.push(name);
    }
  }
  expect(svg.slice(last).trim()).to.equal('');
  expect(stack).to.deep.equal([]);
  return root;
}

/** Cell text marks: label and position. */
function cellTexts(svg: string): { label: string; x: number; y: number }[] {
  const re = /<text[^>]*aria-roledescription="text mark"[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*>([^<]*)<\/text>/g;
  return [...svg.matchAll(re)].map((m) => ({ label: m[3], x: Number(m[1]), y: Number(m[2]) }));
}

const gamma1 = ['1e-1', '1e-2', '1e-3', '1e-4', '1e-5', '1e-6'];
const gamma2 = ['1e1', '1e2', '1e3', '1e4'];

function grid(): HeatmapCell[] {
  const cells: HeatmapCell[] = [];
  gamma1.forEach((r, i) => gamma2.forEach((c, j) => cells.push({ row: r, col: c, value: 0.8 + 0.01 * i + 0.002 * j })));
  return cells;
}

const opts: HeatmapOptions = {
  title: 'Fig. 4: accuracy on Food-101',
  rowTitle: 'gamma1 (L_mdke)',
  colTitle: 'gamma2 (L_beta)',
  valueTitle: 'test accuracy',
};

describe('heatmap', () => {
  it('renders well-formed SVG with titles, one rect and one label per cell', async () => {
    const cells = grid();
    const svg = await renderHeatmapSvg(cells, opts);
    expect(checkBalanced(svg)).to.equal('svg');
    for (const t of [opts.title, opts.rowTitle, opts.colTitle, opts.valueTitle]) expect(svg).to.include(`>${t}</text>`);
    for (const v of [...gamma1, ...gamma2]) expect(svg).to.include(`>${v}</text>`);
    const rects = svg.match(/aria-roledescription="rect mark"/g) ?? [];
    expect(rects.length).to.be.at.least(cells.length);
    const labels = cellTexts(svg).map((t) => t.label).sort();
    expect(new Set(labels).size, 'grid labels must be distinct for the position checks').to.equal(cells.length);
    expect(labels).to.deep.equal(cells.map((c) => c.value.toFixed(3)).sort());
    // Colour varies with the value: the extreme cells get different fills.
    const fills = new Set([...svg.matchAll(/aria-roledescription="rect mark"[^>]*fill="([^"]+)"/g)].map((m) => m[1]));
    expect(fills.size).to.be.greaterThan(cells.length / 2);
  });

  it('follows rowOrder / colOrder (default: first appearance)', async () => {
    const cells = grid();
    const pos = (svg: string): Map<string, { x: number; y: number }> => new Map(cellTexts(svg).map((t) => [t.label, t]));
    const label = (r: number, c: number): string => cells[r * gamma2.length + c].value.toFixed(3);
    const dflt = pos(await renderHeatmapSvg(cells, opts));
    expect(dflt.get(label(0, 0))!.y).to.be.lessThan(dflt.get(label(5, 0))!.y);
    expect(dflt.get(label(0, 0))!.x).to.be.lessThan(dflt.get(label(0, 3))!.x);
    const rev = pos(await renderHeatmapSvg(cells, { ...opts, rowOrder: [...gamma1].reverse(), colOrder: [...gamma2].reverse() }));
    expect(rev.get(label(0, 0))!.y).to.be.greaterThan(rev.get(label(5, 0))!.y);
    expect(rev.get(label(0, 0))!.x).to.be.greaterThan(rev.get(label(0, 3))!.x);
    // A partial order puts the listed rows first.
    const part = pos(await renderHeatmapSvg(cells, { ...opts, rowOrder: ['1e-4'] }));
    expect(part.get(label(3, 0))!.y).to.be.lessThan(part.get(label(0, 0))!.y);
  });

  it('escapes markup in titles, honours digits and draws missing values as n/a', async () => {
    const cells: HeatmapCell[] = [
      { row: 'a', col: 'x', value: 0.5 },
      { row: 'a', col: 'y', value: 0.25 },
      { row: 'b', col: 'x', value: NaN },
      { row: 'b', col: 'y', value: 1 },
    ];
    const svg = await renderHeatmapSvg(cells, { ...opts, title: 'MRR <best> & worst', digits: 2 });
    checkBalanced(svg);
    expect(svg).to.include('MRR &lt;best&gt; &amp; worst');
    expect(cellTexts(svg).map((t) => t.label).sort()).to.deep.equal(['0.25', '0.50', '1.00', 'n/a']);
    expect((svg.match(/aria-roledescription="rect mark"/g) ?? []).length).to.equal(4);
    expect(heatmapLabel(0.12345, 4)).to.equal('0.1235');
    expect(heatmapLabel(Infinity)).to.equal('n/a');
  });

  it('rejects empty and duplicated cell lists', async () => {
    let err: unknown;
    try {
      await renderHeatmapSvg([], opts);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/no cells/);
    err = undefined;
    try {
      await renderHeatmapSvg([{ row: 'a', col: 'b', value: 1 }, { row: 'a', col: 'b', value: 2 }], opts);
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/duplicate cell/);
  });

  it('writeHeatmap writes the SVG atomically into a new folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmkge-heatmap-'));
    try {
      const file = path.join(dir, 'figs', 'fig4.svg');
      await writeHeatmap(file, grid(), opts);
      const text = fs.readFileSync(file, 'utf8');
      expect(text.startsWith('<svg')).to.equal(true);
      expect(text).to.include(opts.title);
      expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['fig4.svg']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
