/**
 * Typed option schemas: one spec per key (type, range or allowed values, default, help text),
 * from which defaults, command-line parsing, config-file checks and help lines are generated.
 * A schema knows nothing about any component; a component declares its own (see config.ts).
 */

/** One option: its type with the accepted range or values, its default and a one-line help. */
export type OptionSpec =
  | { readonly type: 'int'; readonly default: number; readonly min?: number; readonly max?: number; readonly help: string }
  | { readonly type: 'number'; readonly default: number; readonly min?: number; readonly max?: number; readonly above?: number; readonly below?: number; readonly help: string }
  | { readonly type: 'bool'; readonly default: boolean; readonly help: string }
  | { readonly type: 'string'; readonly default: string; readonly nonEmpty?: boolean; readonly help: string }
  | { readonly type: 'enum'; readonly default: string | number; readonly values: readonly (string | number)[]; readonly help: string };

/** A schema for a record type: one spec per key. */
export type Schema<T> = { readonly [K in keyof T]-?: OptionSpec };

/** The defaults of a schema as a fresh record. */
export function defaultsOf<T>(schema: Schema<T>): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) out[key] = (schema as Record<string, OptionSpec>)[key].default;
  return out as T;
}

/** Own-property lookup: `__proto__`, `constructor` and friends are never keys of a schema. */
export function specOf<T>(schema: Schema<T>, key: string): OptionSpec | undefined {
  return Object.prototype.hasOwnProperty.call(schema, key) ? (schema as Record<string, OptionSpec>)[key] : undefined;
}

/** `batchSize` -> `batch-size`. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

// Plain decimal numbers only: Number() would also take '0x10', '0b1', ' 12 ', 'Infinity'.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parse a command-line string for `spec`; `label` (e.g. `--batch-size`) starts every error. */
export function parseOption(label: string, spec: OptionSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case 'int':
    case 'number':
      if (!DECIMAL.test(raw)) throw new Error(`${label}: expected ${spec.type === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
      return checkOption(label, spec, Number(raw));
    case 'bool':
      if (raw === 'true' || raw === '1' || raw === '') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new Error(`${label}: expected true or false, got '${raw}'`);
    case 'enum':
      return checkOption(label, spec, typeof spec.default === 'number' && DECIMAL.test(raw) ? Number(raw) : raw);
    default:
      return checkOption(label, spec, raw);
  }
}

/** Check a value (from a flag, a JSON file or code) against `spec`; returns it or throws naming `label`. */
export function checkOption(label: string, spec: OptionSpec, value: unknown): string | number | boolean {
  const bad = (what: string): never => {
    throw new Error(`${label}: expected ${what}, got ${typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value)}`);
  };
  switch (spec.type) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) bad('an integer');
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) bad('a finite number');
      break;
    case 'bool':
      if (typeof value !== 'boolean') bad('true or false');
      return value as boolean;
    case 'string':
      if (typeof value !== 'string') bad('a string');
      if (spec.nonEmpty && value === '') bad('a non-empty string');
      return value as string;
    case 'enum':
      if (!spec.values.includes(value as string | number)) bad(`one of ${spec.values.map((v) => (v === '' ? "''" : String(v))).join(', ')}`);
      return value as string | number;
  }
  const v = value as number;
  if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)
    || (spec.type === 'number' && ((spec.above !== undefined && !(v > spec.above)) || (spec.below !== undefined && !(v < spec.below))))) {
    bad(`${spec.type === 'int' ? 'an integer' : 'a number'} ${rangeText(spec)}`);
  }
  return v;
}

/** The accepted values in words: `>= 1 and <= 65536`, `one of a, b`, `true or false`. */
export function describeOption(spec: OptionSpec): string {
  switch (spec.type) {
    case 'int': return `integer${rangeText(spec) ? ' ' + rangeText(spec) : ''}`;
    case 'number': return `number${rangeText(spec) ? ' ' + rangeText(spec) : ''}`;
    case 'bool': return 'true or false';
    case 'string': return 'text';
    case 'enum': return spec.values.map((v) => (v === '' ? "''" : String(v))).join(' | ');
  }
}

function rangeText(spec: OptionSpec): string {
  if (spec.type !== 'int' && spec.type !== 'number') return '';
  const parts: string[] = [];
  if (spec.type === 'number' && spec.above !== undefined) parts.push(`> ${spec.above}`);
  if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
  if (spec.type === 'number' && spec.below !== undefined) parts.push(`< ${spec.below}`);
  if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
  return parts.join(' and ');
}

/**
 * Validate an untrusted object (a JSON config) against a schema: unknown keys (own-property
 * check, so `__proto__` and `constructor` are unknown) and bad values are errors naming `source`.
 * Returns a fresh prototype-free copy holding only the given keys.
 */
export function checkRecord<T>(schema: Schema<T>, obj: Record<string, unknown>, source: string): Partial<T> {
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(obj)) {
    const spec = specOf(schema, key);
    if (!spec) {
      const near = closest(key, Object.keys(schema));
      throw new Error(`${source}: unknown config key '${key}'${near ? ` (did you mean '${near}'?)` : ''} (known: ${Object.keys(schema).join(', ')})`);
    }
    out[key] = checkOption(`${source}: '${key}'`, spec, obj[key]);
  }
  return { ...out } as Partial<T>;
}

/** Edit distance (Levenshtein), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate closest to `name` (case-insensitive), if it is within a third of its length (at least 2 edits). */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
