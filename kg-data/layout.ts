/**
 * Discovery of the file layout of a user-supplied dataset directory: split files, optional id
 * maps, and an optional `dataset.json` descriptor that overrides what is found by name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetLayout } from './registry';
import { decodeUtf8 } from '../src/text_lines';
import { oneLine } from '../src/atomic';
import { COLUMN_ORDERS, KgDataError, type ColumnOrder } from './triples_reader';

/** Name of the optional descriptor file in a dataset directory. */
export const DESCRIPTOR_FILE = 'dataset.json';

/** Keys accepted in `dataset.json` (all optional). */
const DESCRIPTOR_KEYS = ['name', 'columns', 'train', 'valid', 'test', 'entityIds', 'relationIds', 'entityNames', 'citation'] as const;

/**
 * Contents of a `dataset.json`: every key optional; file paths are relative to the directory.
 * Example: `{"columns": "htr", "entityIds": "entity2id.txt", "entityNames": "names.tsv"}`.
 */
export type DatasetJson = Partial<Record<(typeof DESCRIPTOR_KEYS)[number], string>>;

/** Split files looked for, per split, in this order: `NAME.txt`, `NAME.tsv`, `NAME`, each optionally + `.gz`. */
export function splitFileCandidates(split: string): string[] {
  const out: string[] = [];
  for (const ext of ['.txt', '.tsv', '']) for (const gz of ['', '.gz']) out.push(`${split}${ext}${gz}`);
  return out;
}

/** Entity id files looked for (first match wins unless several exist, which is an error). */
export const ENTITY_ID_CANDIDATES = ['entity2id.txt', 'entity2id.txt.gz', 'ent_id', 'ent_id.gz'];
/** Relation id files looked for. */
export const RELATION_ID_CANDIDATES = ['relation2id.txt', 'relation2id.txt.gz', 'rel_id', 'rel_id.gz'];

/** Layout of a user directory plus the optional descriptive fields of its `dataset.json`. */
export interface DirectoryLayout extends DatasetLayout {
  /** Display name from `dataset.json` (the loader falls back to the path given). */
  readonly name?: string;
  /** Citation text from `dataset.json`. */
  readonly citation?: string;
}

/**
 * Work out the {@link DirectoryLayout} of a directory. Split files are found by name (see
 * {@link splitFileCandidates}); id files by {@link ENTITY_ID_CANDIDATES} /
 * {@link RELATION_ID_CANDIDATES}; `dataset.json`, when present, overrides any of them and sets
 * the column order (default `'hrt'`). Errors: missing split, several candidate files for one
 * role (ambiguous), malformed `dataset.json`, a file named there that does not exist.
 */
export async function resolveDirectoryLayout(directory: string): Promise<DirectoryLayout> {
  const json = await readDescriptor(directory);
  const find = (role: string, explicit: string | undefined, candidates: string[], required: boolean): string | undefined => {
    if (explicit !== undefined) {
      // Files named in dataset.json stay inside the dataset folder (no `../../etc/passwd`, no absolute paths).
      const inside = path.relative(path.resolve(directory), path.resolve(directory, explicit));
      if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) {
        throw new KgDataError(path.join(directory, DESCRIPTOR_FILE), undefined, `${role} file '${explicit}' is outside the dataset folder ${directory}; name a file inside it`);
      }
      if (!isFile(path.join(directory, explicit))) {
        throw new KgDataError(path.join(directory, DESCRIPTOR_FILE), undefined, `${role} file '${explicit}' not found in ${directory}`);
      }
      return explicit;
    }
    const found = candidates.filter((c) => isFile(path.join(directory, c)));
    if (found.length > 1) {
      throw new KgDataError(directory, undefined, `ambiguous ${role} file: found ${found.join(', ')}; keep one or name it in ${DESCRIPTOR_FILE}`);
    }
    if (found.length === 0 && required) {
      throw new KgDataError(directory, undefined, `no ${role} split file: looked for ${candidates.join(', ')}`);
    }
    return found[0];
  };
  const train = find('train', json.train, splitFileCandidates('train'), true) as string;
  const valid = find('valid', json.valid, splitFileCandidates('valid'), true) as string;
  const test = find('test', json.test, splitFileCandidates('test'), true) as string;
  const entityIds = find('entity id', json.entityIds, ENTITY_ID_CANDIDATES, false);
  const relationIds = find('relation id', json.relationIds, RELATION_ID_CANDIDATES, false);
  const entityNames = find('entity names', json.entityNames, [], false);
  const columns = (json.columns ?? 'hrt') as ColumnOrder;
  return { splits: { train, valid, test }, columns, entityIds, relationIds, entityNames, name: json.name, citation: json.citation };
}

/** Read and validate `dataset.json` if the directory has one (else `{}`). */
export async function readDescriptor(directory: string): Promise<DatasetJson> {
  const file = path.join(directory, DESCRIPTOR_FILE);
  if (!isFile(file)) return {};
  let text: string;
  try {
    text = decodeUtf8(await fs.promises.readFile(file), (line, problem) => new KgDataError(file, line, problem));
  } catch (err) {
    if (err instanceof KgDataError) throw err;
    throw new KgDataError(file, undefined, `cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split(/\r\n|\r|\n/).length : 1;
    throw new KgDataError(file, line, `invalid JSON (${oneLine((err as Error).message)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KgDataError(file, 1, 'expected a JSON object');
  }
  const out: DatasetJson = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(DESCRIPTOR_KEYS as readonly string[]).includes(key)) {
      throw new KgDataError(file, lineOfKey(text, key), `unknown key "${key}" (allowed: ${DESCRIPTOR_KEYS.join(', ')})`);
    }
    if (typeof v !== 'string' || v === '') {
      throw new KgDataError(file, lineOfKey(text, key), `"${key}" must be a non-empty string`);
    }
    if (key === 'columns' && !(COLUMN_ORDERS as readonly string[]).includes(v)) {
      throw new KgDataError(file, lineOfKey(text, key), `"columns": '${v}' is not a permutation of h, r, t (use one of ${COLUMN_ORDERS.join(', ')})`);
    }
    out[key as keyof DatasetJson] = v;
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** 1-based line of the first `"key"` occurrence in a JSON text (1 when not found). */
function lineOfKey(text: string, key: string): number {
  const at = text.indexOf(JSON.stringify(key));
  return at < 0 ? 1 : text.slice(0, at).split(/\r\n|\r|\n/).length;
}
