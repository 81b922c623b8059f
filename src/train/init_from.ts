import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../atomic';
import { readBundle } from '../tensor_file';
import { BEST } from './checkpoint';
import { firstNonFinite } from './divergence';
import type { KgTables } from './model';

/**
 * Warm start: the entity and relation tables of a new run copied from a finished one (`initFrom`).
 * The official IKRL code (Xie et al. 2017, thunlp/IKRL) starts its structure-based entity and
 * relation vectors from a trained TransE; this does the same for any pair of models whose tables
 * have the same shape. Only the tables are copied: dense parameters (projections, encoders) and
 * optimiser state start fresh.
 *
 * `source` is a run directory (its model-best.bin is read and its config.json must name the same
 * dataset) or a model .bin file. Returns a line for the run's log.
 */
export function initTablesFrom(source: string, tables: KgTables, dataset: string): string {
  const isDir = fs.existsSync(source) && fs.statSync(source).isDirectory();
  const file = isDir ? path.join(source, BEST) : source;
  if (!fs.existsSync(file)) {
    throw new Error(`--init-from ${source}: ${isDir ? `no ${BEST} in that directory (did the run finish an epoch?)` : 'no such file or directory'}`);
  }
  if (isDir) {
    const configFile = path.join(source, 'config.json');
    if (fs.existsSync(configFile)) {
      const saved = readJson<{ dataset?: unknown }>(configFile);
      if (saved.dataset !== dataset) {
        throw new Error(`--init-from ${source}: that run trained on dataset '${String(saved.dataset)}' (${configFile}), this one on '${dataset}'`);
      }
    }
  }
  const bundle = readBundle(file);
  for (const name of ['entities', 'relations'] as const) {
    const saved = bundle[name];
    const target = tables[name];
    const rows = name === 'entities' ? tables.numEntities : tables.numRelationRows;
    if (!(saved instanceof Float32Array)) throw new Error(`--init-from ${file}: no float32 '${name}' table in that file`);
    if (saved.length !== target.length) {
      throw new Error(
        `--init-from ${file}: its ${name} table holds ${saved.length} values, this model needs ${rows} rows of ${target.length / rows} ` +
          `(${target.length}); the dataset, dim, model family or reciprocal setting differ`,
      );
    }
    const bad = firstNonFinite({ [name]: saved });
    if (bad) throw new Error(`--init-from ${file}: ${name} value ${bad.index} is not finite`);
    target.set(saved);
  }
  return `entity and relation tables initialised from ${file}`;
}
