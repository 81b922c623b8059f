/**
 * Typed option schemas: one spec per key (type, range or allowed values, default, help text),
 * from which defaults, command-line parsing, config-file checks and help lines are generated.
 * A schema knows nothing about any component; a component declares its own (see config.ts).
 */

/** One option: its type with the accepted range or values, its default and a one-line help. */
export type OptionSpec =
  | IntSpec
  | NumberSpec
  | BoolSpec
  | StringSpec
  | EnumSpec<string | number>;

export interface IntSpec { readonly type: 'int'; readonly default: number; readonly min?: number; readonly max?: number; readonly help: string }
export interface NumberSpec { readonly type: 'number'; readonly default: number; readonly min?: number; readonly max?: number; readonly above?: number; readonly below?: number; readonly help: string }
export interface BoolSpec { readonly type: 'bool'; readonly default: boolean; readonly help: string }
export interface StringSpec { readonly type: 'string'; readonly default: string; readonly nonEmpty?: boolean; readonly help: string }
/** One of `values`; `V` is the option's value type (`'adagrad' | 'adam'`, `1 | 2`). */
export interface EnumSpec<V extends string | number> { readonly type: 'enum'; readonly default: V; readonly values: readonly V[]; readonly help: string }

/**
 * The specs a value type admits: an enumeration's spec lists values of exactly that type, so
 * a schema cannot declare `'sgd'` for an option typed `'adagrad' | 'adam'`.
 */
export type SpecFor<V> =
  0 extends 1 & V ? OptionSpec // V is any: a registry holding components of several option types
  : [V] extends [boolean] ? BoolSpec
    : [V] extends [number] ? (number extends V ? IntSpec | NumberSpec | EnumSpec<V> : EnumSpec<V>)
      : [V] extends [string] ? (string extends V ? StringSpec | EnumSpec<V> : EnumSpec<V>)
        : never;

/** A schema for a record type: one spec per key, typed by the key's value. */
export type Schema<T> = { readonly [K in keyof T]-?: SpecFor<T[K]> };

/** A schema as a plain name -> spec table (what generic code iterates over). */
export function specsOf<T>(schema: Schema<T>): Readonly<Record<string, OptionSpec>> {
  return schema as unknown as Record<string, OptionSpec>;
}

/** The defaults of a schema as a fresh record. */
export function defaultsOf<T>(schema: Schema<T>): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) out[key] = specsOf(schema)[key].default;
  return out as T;
}

/** Own-property lookup: `__proto__`, `constructor` and friends are never keys of a schema. */
export function specOf<T>(schema: Schema<T>, key: string): OptionSpec | undefined {
  return Object.prototype.hasOwnProperty.call(schema, key) ? specsOf(schema)[key] : undefined;
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

/** Parse the command-line string of one key of a schema; the value has the key's type. */
export function parseKey<T, K extends keyof T & string>(schema: Schema<T>, key: K, raw: string, label = `--${kebab(key)}`): T[K] {
  return parseOption(label, specsOf(schema)[key], raw) as T[K];
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

/** The record type a schema describes. */
export type OptionsOf<S> = S extends Schema<infer T> ? T : never;

/**
 * One schema from several components' schemas (the app composes the command schemas this way).
 * A key two components share (`dim`) must be the same spec object, imported from one place;
 * the same name declared twice is an error naming both, so two components cannot silently
 * disagree on a default or a range.
 */
export function composeSchemas<T>(parts: readonly { readonly name: string; readonly schema: Schema<unknown> }[]): Schema<T> {
  const out: Record<string, OptionSpec> = {};
  const owner: Record<string, string> = {};
  for (const { name, schema } of parts) {
    for (const [key, spec] of Object.entries(specsOf(schema))) {
      if (Object.prototype.hasOwnProperty.call(out, key) && out[key] !== spec) {
        throw new Error(`option '${key}' is declared by both ${owner[key]} and ${name}; share one declaration (import it) or rename one`);
      }
      if (!Object.prototype.hasOwnProperty.call(out, key)) owner[key] = name;
      out[key] = spec;
    }
  }
  return out as Schema<T>;
}

/** The same schema with some defaults replaced (a task's own defaults for a shared component); each new default is checked against its spec. */
export function withDefaults<T>(schema: Schema<T>, defaults: Partial<T>, source: string): Schema<T> {
  const out: Record<string, OptionSpec> = { ...specsOf(schema) };
  for (const [key, value] of Object.entries(defaults as Record<string, unknown>)) {
    const spec = specOf(schema, key);
    if (!spec) throw new Error(`${source}: default for unknown option '${key}'`);
    out[key] = { ...spec, default: checkOption(`${source}: default of '${key}'`, spec, value) } as OptionSpec;
  }
  return out as Schema<T>;
}

/** Names of a component's options in a composed (flat) schema: `gamma1` -> `immlGamma1`. */
export type Names<T> = { readonly [K in keyof T]-?: string };

/** The record `T` under the names `N` (`{ gamma1 }` under `{ gamma1: 'immlGamma1' }` is `{ immlGamma1 }`). */
export type Renamed<T, N extends Names<T>> = { [K in keyof T as N[K]]: T[K] };

/** A schema under other names (a component composed into a flat command schema); help texts get `label: ` in front. */
export function renamed<T, N extends Names<T>>(schema: Schema<T>, names: N, label: string): Schema<Renamed<T, N>> {
  const out: Record<string, OptionSpec> = {};
  for (const key of Object.keys(schema)) {
    const spec = specsOf(schema)[key];
    out[(names as Record<string, string>)[key]] = { ...spec, help: `${label}: ${spec.help}` };
  }
  return out as Schema<Renamed<T, N>>;
}

/** A component's options read back from a flat record under `names` (the inverse of {@link renamed}). */
export function fromNames<T, N extends Names<T>>(names: N, flat: Renamed<T, N>): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(names)) out[key] = (flat as Record<string, unknown>)[(names as Record<string, string>)[key]];
  return out as T;
}

/** The values of a schema's keys picked from a larger record (a component's options out of a composed config). */
export function valuesOf<T>(schema: Schema<T>, record: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) out[key] = (record as Record<string, unknown>)[key];
  return out as T;
}

/** Defaults of `schema` under the given values, each checked against its spec (`label` names the component in errors). */
export function resolveOptions<T>(schema: Schema<T>, given: Partial<T>, label: string): T {
  return { ...defaultsOf(schema), ...checkRecord(schema, given as Record<string, unknown>, label) };
}

/** Check every key of a full record against its schema (errors `label: 'key': ...`). */
export function checkAll<T>(schema: Schema<T>, record: T, label: string): T {
  for (const key of Object.keys(schema)) checkOption(`${label}: '${key}'`, specsOf(schema)[key], (record as Record<string, unknown>)[key]);
  return record;
}

/**
 * A component a registry builds: its option schema (defaults beside it) and a factory over
 * those options and the build context `C` every component of that registry gets. The same
 * shape for scorers, multimodal models, classification models, plug-ins, losses, optimisers
 * and samplers; `create` is a method so that a registry can hold components with different options.
 */
export interface Component<O, C, R> {
  readonly options: Schema<O>;
  create(options: O, context: C): R;
}

/** A registry entry from a schema and a factory (the option type is inferred from the schema). */
export function component<O, C, R>(options: Schema<O>, create: (options: O, context: C) => R): Component<O, C, R> {
  return { options, create };
}

/** A registry: name -> component. */
export type Registry<C, R> = Readonly<Record<string, Component<AnyOptions, C, R>>>;

/**
 * The option record of "some entry" of a registry: each entry has its own (TransE's, OTKGE's),
 * so a registry's value type cannot name one; `component()` keeps each entry's own type.
 */
export type AnyOptions = any;

/** The union of the option records of a registry's components. */
export type RegistryOptions<Reg> = { [K in keyof Reg]: Reg[K] extends Component<infer O, unknown, unknown> ? O : never }[keyof Reg];

/** `A | B` -> `A & B` (a composed config holds every component's options). */
export type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Own-property lookup of a registry entry; an unknown name is an error listing the known ones and the closest. */
export function lookup<E>(registry: Readonly<Record<string, E>>, name: string, what: string, flag?: string): E {
  if (Object.prototype.hasOwnProperty.call(registry, name)) return registry[name];
  const known = Object.keys(registry);
  const near = closest(name, known);
  throw new Error(`${flag ? `${flag}: ` : ''}unknown ${what} '${name}'${near ? ` (did you mean '${near}'?)` : ''}; known: ${known.join(', ')}`);
}

/** The keys of `schema` that `record` gives (not undefined), for resolving a component's options out of a larger record. */
export function pickGiven<T>(schema: Schema<T>, record: object): Partial<T> {
  const out: Record<string, unknown> = {};
  const given = record as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(schema)) if (given[key] !== undefined) out[key] = given[key];
  return out as Partial<T>;
}

/** The schema of a component without options of its own. */
export const NO_OPTIONS: Schema<Record<never, never>> = {};
