/**
 * Streaming readers for the tab-separated files of knowledge-graph datasets: triple files
 * (any column order), id maps (`key<TAB>id`) and key/value files (`key<TAB>text`, e.g. names).
 *
 * All readers stream in linear time (src/text_lines.ts: tab-separated, no quoting, so quote
 * characters in names are literal), gunzip files whose name ends in `.gz`, accept LF, CRLF and
 * bare-CR line endings, skip blank lines, and turn every bad input into one {@link KgDataError}
 * whose message is `path:line: problem` (1-based physical line numbers): a line over
 * {@link DEFAULT_MAX_LINE_BYTES}, invalid UTF-8 or a NUL byte included (distinct names never merge).
 *
 * Header lines: when the first non-blank line of a file consists only of column names (see
 * {@link TRIPLE_HEADER_WORDS} and {@link ID_HEADER_WORDS}, e.g. `head relation tail` or
 * `entity<TAB>id`), it is skipped and a note naming file and line is printed (to stderr, or
 * to `onNote`). A triple header whose order disagrees with the column order is an error.
 */
import * as fs from 'node:fs';
import { DEFAULT_MAX_LINE_BYTES, forEachLine } from '../src/text_lines';

export { DEFAULT_MAX_LINE_BYTES };

/**
 * Column order of a triple file: a permutation of the letters h (head), r (relation), t (tail).
 * `'hrt'` is the common order (FB15k, OTKGE files); IKRL's WN9-IMG files are `'htr'`.
 */
export type ColumnOrder = 'hrt' | 'htr' | 'rht' | 'rth' | 'thr' | 'trh';

/** All valid column orders, for validation and help texts. */
export const COLUMN_ORDERS: readonly ColumnOrder[] = ['hrt', 'htr', 'rht', 'rth', 'thr', 'trh'];

/**
 * Error for a bad data file. The message always starts with the file path and, where the problem
 * sits on a line, the 1-based line number: `path:line: problem` (or `path: problem` when there is
 * no line, e.g. a missing file). `file` and `line` are kept as fields for programmatic use.
 */
export class KgDataError extends Error {
  /**
   * @param file path of the offending file (as given by the caller)
   * @param line 1-based line number, or undefined when the problem is not tied to a line
   * @param problem what is wrong, without the location prefix
   */
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(line === undefined ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
    this.name = 'KgDataError';
  }
}

/** Type guard / validator for a column-order string; throws a readable error for anything else. */
export function parseColumnOrder(value: string, where = 'column order'): ColumnOrder {
  const v = value.trim().toLowerCase();
  if ((COLUMN_ORDERS as readonly string[]).includes(v)) return v as ColumnOrder;
  throw new Error(`${where}: '${value}' is not a permutation of h, r, t (use one of ${COLUMN_ORDERS.join(', ')})`);
}

/**
 * Stream the non-blank lines of a tab-separated file, calling `onRow(fields, line)` with the
 * trimmed fields and the 1-based physical line number. Resolves to the number of physical lines.
 * Errors thrown by `onRow` (ideally {@link KgDataError}) abort the read and propagate unchanged;
 * I/O, gzip, encoding and line-length failures become a {@link KgDataError} naming file and line.
 */
export async function forEachTsvRow(
  file: string,
  onRow: (fields: string[], line: number) => void,
  options: { maxLineBytes?: number } = {},
): Promise<number> {
  await assertReadableFile(file);
  return forEachLine(file, (text, line) => {
    const fields = text.split('\t').map((f) => f.trim());
    if (fields.every((f) => f === '')) return;
    onRow(fields, line);
  }, { maxLineBytes: options.maxLineBytes, fail: (line, problem) => new KgDataError(file, line, problem) });
}

/** Words a header line of a triple file may use, by the column they name. */
export const TRIPLE_HEADER_WORDS: Readonly<Record<string, 'h' | 'r' | 't'>> = {
  // No single letters: entities named H, R, T are more common than a header `h r t`.
  head: 'h', subject: 'h', sub: 'h', source: 'h', src: 'h', head_entity: 'h', e1: 'h',
  relation: 'r', predicate: 'r', pred: 'r', rel: 'r', relation_type: 'r', label: 'r',
  tail: 't', object: 't', obj: 't', target: 't', dst: 't', tail_entity: 't', e2: 't',
};

/** Words a header line of an id or key/value file may use. */
export const ID_HEADER_WORDS: ReadonlySet<string> = new Set([
  'entity', 'entities', 'relation', 'relations', 'key', 'id', 'ids', 'name', 'names', 'entity_id', 'relation_id',
  'ent', 'rel', 'mid', 'label', 'text', 'value', 'gloss', 'description', 'index',
]);

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Where header notes go unless a caller passes `onNote`. */
function defaultNote(message: string): void {
  process.stderr.write(`note: ${message}\n`);
}

/** The column order a triple header line spells (e.g. `hrt`), or undefined when the line is no header. */
function tripleHeaderOrder(fields: readonly string[]): string | undefined {
  if (fields.length !== 3) return undefined;
  const roles = fields.map((f) => f.toLowerCase()).map((f) => (own(TRIPLE_HEADER_WORDS, f) ? TRIPLE_HEADER_WORDS[f] : undefined));
  if (roles.some((r) => r === undefined) || new Set(roles).size !== 3) return undefined;
  return roles.join('');
}

function isIdHeader(fields: readonly string[]): boolean {
  return fields.length === 2 && fields.every((f) => ID_HEADER_WORDS.has(f.toLowerCase()));
}

/** Throws a {@link KgDataError} unless `file` exists and is a regular file. */
export async function assertReadableFile(file: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KgDataError(file, undefined, code === 'ENOENT' ? 'file not found' : `cannot open (${(err as Error).message})`);
  }
  if (!stat.isFile()) throw new KgDataError(file, undefined, 'not a regular file');
}

/** Options of {@link forEachTriple} and {@link readTriples}. */
export interface ReadTriplesOptions {
  /** Column order of the file; default `'hrt'`. */
  columns?: ColumnOrder;
  /** Accept a file without any triple (default false: an empty split is an error). */
  allowEmpty?: boolean;
  /** Receives the note about a skipped header line (default: printed to stderr). */
  onNote?: (message: string) => void;
}

/**
 * Stream the triples of one split file, calling `onTriple(head, relation, tail, line)` with the
 * string keys in h, r, t order whatever the file's column order. Resolves to the triple count.
 *
 * Errors (each a {@link KgDataError} with file and line): a line whose column count is not 3, an
 * empty field, a missing file, and (unless `allowEmpty`) a file without any triple.
 */
export async function forEachTriple(
  file: string,
  onTriple: (head: string, relation: string, tail: string, line: number) => void,
  options: ReadTriplesOptions = {},
): Promise<number> {
  const columns = options.columns ?? 'hrt';
  const hi = columns.indexOf('h');
  const ri = columns.indexOf('r');
  const ti = columns.indexOf('t');
  let count = 0;
  let first = true;
  const lines = await forEachTsvRow(file, (fields, line) => {
    if (first) {
      first = false;
      const header = tripleHeaderOrder(fields);
      if (header !== undefined) {
        if (header !== columns) {
          throw new KgDataError(file, line, `header line ${preview(fields)} names the columns ${header}, but the file is read as ${columns} (set --columns or "columns" in dataset.json)`);
        }
        (options.onNote ?? defaultNote)(`${file}:${line}: skipped the header line ${preview(fields)}`);
        return;
      }
    }
    if (fields.length !== 3) {
      throw new KgDataError(
        file,
        line,
        `malformed triple line: expected 3 tab-separated columns (${columns.split('').join(',')}), found ${fields.length}: ${preview(fields)}`,
      );
    }
    const empty = fields.indexOf('');
    if (empty >= 0) {
      throw new KgDataError(file, line, `malformed triple line: empty ${COLUMN_NAMES[columns[empty]]} field (column ${empty + 1}): ${preview(fields)}`);
    }
    count++;
    onTriple(fields[hi], fields[ri], fields[ti], line);
  });
  if (count === 0 && !options.allowEmpty) {
    throw new KgDataError(file, Math.max(1, lines), `empty split: no triples (${lines} line${lines === 1 ? '' : 's'}, all blank)`);
  }
  return count;
}

/** One triple as read from a file: string keys plus the 1-based line it came from. */
export interface RawTriple {
  readonly head: string;
  readonly relation: string;
  readonly tail: string;
  readonly line: number;
}

/**
 * Read a whole split file into memory as {@link RawTriple}s (h, r, t order). Convenient for small
 * files and tests; {@link forEachTriple} avoids the per-triple objects for large ones.
 */
export async function readTriples(file: string, options: ReadTriplesOptions = {}): Promise<RawTriple[]> {
  const out: RawTriple[] = [];
  await forEachTriple(file, (head, relation, tail, line) => out.push({ head, relation, tail, line }), options);
  return out;
}

/**
 * An id map read from a `key<TAB>id` file: `keys[id]` is the key with that id and
 * `index.get(key)` its id. Ids are guaranteed to be exactly 0..n-1.
 */
export interface IdMap {
  readonly keys: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** 1-based line of each key's definition (for error messages pointing back at the id file). */
  readonly lines: ReadonlyMap<string, number>;
}

/**
 * Read an id map (`entity2id.txt`, `relation2id.txt`, `ent_id`, `rel_id`): lines `key<TAB>id`.
 * The ids must be a permutation of 0..n-1 (n = number of non-blank lines) so that id order can
 * be used as the row order of feature matrices. Errors name file and line: wrong column count,
 * empty field, non-integer id, id out of range, duplicated id, duplicated key, empty file.
 */
export async function readIdMap(file: string, onNote: (message: string) => void = defaultNote): Promise<IdMap> {
  const entries: { key: string; id: number; line: number }[] = [];
  let first = true;
  const lines = await forEachTsvRow(file, (fields, line) => {
    if (first) {
      first = false;
      if (isIdHeader(fields)) {
        onNote(`${file}:${line}: skipped the header line ${preview(fields)}`);
        return;
      }
    }
    if (fields.length !== 2) {
      throw new KgDataError(file, line, `malformed id line: expected 2 tab-separated columns (key, id), found ${fields.length}: ${preview(fields)}`);
    }
    const [key, idText] = fields;
    if (key === '') throw new KgDataError(file, line, 'malformed id line: empty key');
    if (!/^\d+$/.test(idText)) throw new KgDataError(file, line, `malformed id line: id '${idText}' is not a non-negative integer`);
    entries.push({ key, id: Number(idText), line });
  });
  const n = entries.length;
  if (n === 0) throw new KgDataError(file, Math.max(1, lines), 'empty id file: no `key<TAB>id` lines');
  const keys: string[] = new Array<string>(n);
  const idLine = new Int32Array(n);
  const index = new Map<string, number>();
  const keyLines = new Map<string, number>();
  for (const { key, id, line } of entries) {
    if (id >= n) {
      throw new KgDataError(file, line, `id ${id} out of range: the ${n} ids of an id file must be a permutation of 0..${n - 1}`);
    }
    if (idLine[id] !== 0) {
      throw new KgDataError(file, line, `duplicated id ${id} (already given to '${keys[id]}' on line ${idLine[id]}); ids must be a permutation of 0..${n - 1}`);
    }
    const previous = keyLines.get(key);
    if (previous !== undefined) throw new KgDataError(file, line, `duplicated key '${key}' (already on line ${previous})`);
    keys[id] = key;
    idLine[id] = line;
    index.set(key, id);
    keyLines.set(key, line);
  }
  return { keys, index, lines: keyLines };
}

/**
 * Read a `key<TAB>value` file (entity names, glosses, relation texts) into a Map. Lines must have
 * exactly 2 non-empty columns; a key given twice is an error. Both are reported as `file:line`.
 */
export async function readKeyValueFile(file: string, onNote: (message: string) => void = defaultNote): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  const lineOf = new Map<string, number>();
  let first = true;
  await forEachTsvRow(file, (fields, line) => {
    if (first) {
      first = false;
      if (isIdHeader(fields)) {
        onNote(`${file}:${line}: skipped the header line ${preview(fields)}`);
        return;
      }
    }
    if (fields.length !== 2 || fields[0] === '' || fields[1] === '') {
      throw new KgDataError(file, line, `malformed line: expected 2 non-empty tab-separated columns (key, value), found ${preview(fields)}`);
    }
    const previous = lineOf.get(fields[0]);
    if (previous !== undefined) throw new KgDataError(file, line, `duplicated key '${fields[0]}' (already on line ${previous})`);
    map.set(fields[0], fields[1]);
    lineOf.set(fields[0], line);
  });
  return map;
}

const COLUMN_NAMES: Record<string, string> = { h: 'head', r: 'relation', t: 'tail' };

/** Short printable form of a row for error messages. */
function preview(fields: readonly string[]): string {
  const text = JSON.stringify(fields);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
