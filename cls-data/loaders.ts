/**
 * Readers for the file formats of the public multimodal classification releases:
 *
 * - QMF / MMBT JSON lines (`{"id","label","text","img"}`; MVSA-Single and Food101 in QMF),
 * - CLMLF JSON arrays (`[{"id","text","emotion_label"}]`; MVSA-Single, MVSA-Multiple, HFM),
 * - the original HFM release (Cai et al. 2019): one Python list literal per line,
 * - HFM's image-attribute file `extract_all` (5 words predicted from each image),
 * - MVSA's `labelResultAll.txt` (separate text and image sentiment per post).
 *
 * Readers return {@link RawClsRow}s (label still a string); {@link rowsToSamples} indexes the
 * labels and attaches modalities. Every error names the file and the line (or sample id).
 */
import * as path from 'node:path';
import { ClsDataError, type ModalityValue, type Sample } from './sample';
import { numberedLines, parsePyList, readTextFile } from './text_io';

/** One parsed row before label indexing. */
export interface RawClsRow {
  readonly id: string;
  /** Label as written in the file (`'positive'`, `'fried_calamari'`, or a number as text: `'1'`). */
  readonly label: string;
  readonly text: string;
  /** 1-based line of the row (CLMLF: the line of the row's opening brace). */
  readonly line: number;
  /** Image path relative to the dataset directory (QMF jsonl `img`), when the file gives one. */
  readonly img?: string;
  /** Extra columns kept verbatim. */
  readonly meta?: Readonly<Record<string, string | number>>;
}

function checkUniqueIds(file: string, rows: readonly RawClsRow[]): void {
  const seen = new Map<string, number>();
  for (const r of rows) {
    const prev = seen.get(r.id);
    if (prev !== undefined) throw new ClsDataError(file, r.line, `duplicate sample id '${r.id}' (first at line ${prev})`);
    seen.set(r.id, r.line);
  }
}

/** An id field may be a JSON string or an integer; anything else is an error. */
/** One line of a Python-list-literal file, parsed; a syntax error names the file and line. */
function parsePyLine(file: string, line: number, text: string): ReturnType<typeof parsePyList> {
  try {
    return parsePyList(text.trim());
  } catch (err) {
    throw new ClsDataError(file, line, `not a Python list literal: ${(err as Error).message}`);
  }
}

function idOf(value: unknown, file: string, line: number): string {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  throw new ClsDataError(file, line, `missing or invalid "id" (${JSON.stringify(value)})`);
}

/**
 * Read a QMF/MMBT JSON-lines file: one object per line with `id`, `label` (a class name),
 * `text` and optionally `img` (image path relative to the file's directory). Multi-label rows
 * (label is a list, as in MM-IMDB) are rejected. Errors: invalid JSON, missing field, duplicate id.
 */
export function readQmfJsonl(file: string): RawClsRow[] {
  const rows: RawClsRow[] = [];
  for (const { line, text } of numberedLines(readTextFile(file))) {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ClsDataError(file, line, `invalid JSON (${(err as Error).message})`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ClsDataError(file, line, 'expected a JSON object');
    const id = idOf(obj.id, file, line);
    if (Array.isArray(obj.label)) throw new ClsDataError(file, line, `sample ${id}: multi-label rows are not supported (label is a list)`);
    if (typeof obj.label !== 'string' && typeof obj.label !== 'number') throw new ClsDataError(file, line, `sample ${id}: missing "label"`);
    if (typeof obj.text !== 'string') throw new ClsDataError(file, line, `sample ${id}: missing "text"`);
    const img = typeof obj.img === 'string' ? obj.img : undefined;
    rows.push({ id, label: String(obj.label), text: obj.text, line, img, meta: img === undefined ? undefined : { img } });
  }
  checkUniqueIds(file, rows);
  return rows;
}

/**
 * Read a CLMLF JSON array of `{"id", "text", "emotion_label"}` (emotion_label an integer; MVSA:
 * 0 positive, 1 neutral, 2 negative; HFM: 1 sarcastic, 0 not). The row's line is the line where
 * its object starts in the pretty-printed file (found by a scan that tracks strings).
 */
export function readClmlfJson(file: string): RawClsRow[] {
  const text = readTextFile(file);
  let arr: unknown;
  try {
    arr = JSON.parse(text);
  } catch (err) {
    throw new ClsDataError(file, undefined, `invalid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(arr)) throw new ClsDataError(file, undefined, 'expected a JSON array of {"id","text","emotion_label"} objects');
  const lines = topLevelObjectLines(text);
  const rows: RawClsRow[] = [];
  arr.forEach((obj: unknown, k) => {
    const line = lines[k] ?? 1;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ClsDataError(file, line, `element ${k} is not an object`);
    const o = obj as Record<string, unknown>;
    const id = idOf(o.id, file, line);
    const label = o.emotion_label ?? o.label;
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0) {
      throw new ClsDataError(file, line, `sample ${id}: "emotion_label" must be a non-negative integer, got ${JSON.stringify(label)}`);
    }
    if (typeof o.text !== 'string') throw new ClsDataError(file, line, `sample ${id}: missing "text"`);
    rows.push({ id, label: String(label), text: o.text, line });
  });
  checkUniqueIds(file, rows);
  return rows;
}

/** Line numbers (1-based) where each element of a top-level JSON array starts. */
function topLevelObjectLines(text: string): number[] {
  const out: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth === 1) out.push(line);
      depth++;
    } else if (c === ']' || c === '}') depth--;
  }
  return out;
}

/**
 * Read an original HFM text file (headacheboy/data-of-multimodal-sarcasm-detection): lines
 * `['tweet_id', 'text', label]` (train.txt) or `['tweet_id', 'text', hashtag_label, human_label]`
 * (valid2.txt, test2.txt). The label is the last column (the human label in valid2/test2, as
 * CLMLF uses); the hashtag label is kept as `meta.hashtagLabel`. 1 = sarcastic.
 */
export function readHfmOriginal(file: string): RawClsRow[] {
  const rows: RawClsRow[] = [];
  for (const { line, text } of numberedLines(readTextFile(file))) {
    const v = parsePyLine(file, line, text);
    if (v.length !== 3 && v.length !== 4) throw new ClsDataError(file, line, `expected ['id', 'text', label] or ['id', 'text', hashtag_label, human_label], got ${v.length} fields`);
    const [id, txt] = v;
    const label = v[v.length - 1];
    if (typeof id !== 'string' || typeof txt !== 'string') throw new ClsDataError(file, line, 'id and text must be strings');
    if (label !== 0 && label !== 1) throw new ClsDataError(file, line, `sample ${id}: label must be 0 or 1, got ${label}`);
    rows.push({ id, label: String(label), text: txt, line, meta: v.length === 4 ? { hashtagLabel: v[2] } : undefined });
  }
  checkUniqueIds(file, rows);
  return rows;
}

/**
 * Read HFM's image-attribute file (`extract_all`): lines `['image_id', w1, w2, w3, w4, w5]`,
 * 5 attribute words predicted from each tweet image (Cai et al. 2019). Returns id -> words.
 * Errors: a line that is not such a list, a duplicate id.
 */
export function readHfmAttributes(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { line, text } of numberedLines(readTextFile(file))) {
    const v = parsePyLine(file, line, text);
    if (v.length < 2 || !v.every((x) => typeof x === 'string')) throw new ClsDataError(file, line, "expected ['image_id', 'word', ...] (strings)");
    const [id, ...words] = v as string[];
    if (out.has(id)) throw new ClsDataError(file, line, `duplicate image id '${id}'`);
    out.set(id, words);
  }
  return out;
}

/** MVSA per-post annotation: the sentiment of the text and of the image, separately. */
export interface MvsaPostLabels {
  readonly text: string;
  readonly image: string;
}

/**
 * Read MVSA's `labelResultAll.txt`: header `ID<TAB>text,image`, then `id<TAB>text,image` per
 * post (4,869 posts in MVSA-Single). QMF's MVSA-Single split keeps the posts whose two labels
 * agree; CLMLF merges them (one neutral + one polar -> the polar one).
 */
export function readMvsaLabelResult(file: string): Map<string, MvsaPostLabels> {
  const out = new Map<string, MvsaPostLabels>();
  for (const { line, text } of numberedLines(readTextFile(file))) {
    const [id, pair, ...rest] = text.trim().split('\t');
    if (line === 1 && id === 'ID') continue;
    const parts = pair?.split(',') ?? [];
    if (rest.length > 0 || parts.length !== 2) throw new ClsDataError(file, line, 'expected id<TAB>text_label,image_label');
    if (out.has(id)) throw new ClsDataError(file, line, `duplicate post id '${id}'`);
    out.set(id, { text: parts[0].trim(), image: parts[1].trim() });
  }
  return out;
}

/** How {@link rowsToSamples} attaches the non-text modalities. */
export interface RowModalityOptions {
  /** id -> attribute words (HFM); becomes the text modality `attributes`. */
  readonly attributes?: ReadonlyMap<string, readonly string[]>;
  /** File the attributes came from, for errors. */
  readonly attributesFile?: string;
  /** Folder images are resolved against; absent = no image modality. */
  readonly imageRoot?: string;
  /** Extension of `<id><ext>` image names where the row has no `img` path (default `.jpg`). */
  readonly imageExtension?: string;
}

/**
 * Turn rows into samples: label -> index via `labelIndex`, modality `text`, plus `attributes`
 * and `image` (an {@link ImageFileModality} path `imageRoot/img` or `imageRoot/<id><ext>`) as
 * configured. Errors: a label not in `labelIndex` (file:line), a sample without attributes.
 */
export function rowsToSamples(file: string, rows: readonly RawClsRow[], labelIndex: ReadonlyMap<string, number>, opts: RowModalityOptions = {}): Sample[] {
  return rows.map((r) => {
    const label = labelIndex.get(r.label);
    if (label === undefined) throw new ClsDataError(file, r.line, `sample ${r.id}: unknown label '${r.label}' (known: ${[...labelIndex.keys()].join(', ')})`);
    const modalities: Record<string, ModalityValue> = { text: { kind: 'text', text: r.text } };
    if (opts.attributes) {
      const words = opts.attributes.get(r.id);
      if (!words) throw new ClsDataError(opts.attributesFile ?? file, { id: r.id }, `no image attributes for this sample (from ${file}:${r.line})`);
      modalities.attributes = { kind: 'text', text: words.join(' '), words };
    }
    if (opts.imageRoot !== undefined) {
      const rel = r.img ?? `${r.id}${opts.imageExtension ?? '.jpg'}`;
      modalities.image = { kind: 'image-file', path: path.join(opts.imageRoot, rel) };
    }
    return { id: r.id, label, text: r.text, modalities, meta: r.meta };
  });
}
