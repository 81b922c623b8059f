/**
 * The one-way import rules of the repository (README "Layout"), checked on the TypeScript
 * sources: every relative import, `export ... from`, `require(...)` and `import(...)` is
 * resolved to a top-level area and tested against the rules below.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** Source folders that the rules know about, relative to the repository root. */
export const AREAS = ['src', 'kg-data', 'cls-data', 'baselines', 'imml', 'eval', 'bench', 'test'] as const;

export interface Violation {
  /** `file:line` of the import, relative to the repository root. */
  where: string;
  /** The import as written. */
  spec: string;
  /** The target, relative to the repository root. */
  target: string;
  rule: string;
}

/** Area of a repository-relative path: 'core' for src/ outside src/app, 'app' for src/app. */
export function areaOf(rel: string): string | undefined {
  const parts = rel.split('/');
  if (parts[0] === 'src') return parts[1] === 'app' ? 'app' : 'core';
  return (AREAS as readonly string[]).includes(parts[0]) ? parts[0] : undefined;
}

const PLUGINS = ['kg-data', 'cls-data', 'baselines', 'imml', 'eval', 'bench', 'app'];

/** Why an import from area `from` (file `file`) of `target` breaks a rule; undefined when allowed. */
export function ruleBroken(from: string, target: string): string | undefined {
  const to = areaOf(target);
  if (to === undefined || from === to) return undefined;
  if (to === 'test') return 'nothing outside test/ imports test/ (put shared helpers in a non-test module)';
  if (to === 'bench') return 'bench/ is a leaf: nothing imports it';
  if (from === 'core' && PLUGINS.includes(to)) return `the core (src/ outside src/app) imports no ${to === 'app' ? 'src/app' : `${to}/`}`;
  if (from === 'imml' && to !== 'core') return 'imml/ imports only the core (src/ outside src/app)';
  if (from === 'eval' && (target === 'src/train' || target.startsWith('src/train/'))) return 'eval/ needs scores, never a training loop (src/train)';
  if (from === 'eval' && to !== 'core') return 'eval/ imports only the core (src/ outside src/app): it ranks scores and formats results';
  if (from === 'kg-data' && to === 'cls-data') return 'kg-data/ imports no cls-data/ (cls-data uses the data home of kg-data, one way; image decoding shared by both is in the core, src/image.ts)';
  if (to === 'app' && from !== 'bench' && from !== 'test') return 'src/app is the composition root: only bench/ and test/ import it';
  return undefined;
}

function tsFiles(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every import under `root` that breaks a rule, in file order. */
export function importViolations(root: string): Violation[] {
  const found: Violation[] = [];
  for (const area of AREAS) {
    for (const file of tsFiles(path.join(root, area))) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      const from = areaOf(rel)!;
      const text = fs.readFileSync(file, 'utf8');
      for (const imp of ts.preProcessFile(text, true, true).importedFiles) {
        if (!imp.fileName.startsWith('.')) continue; // packages and node: builtins
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), imp.fileName));
        const rule = ruleBroken(from, target);
        if (rule === undefined) continue;
        const line = text.slice(0, imp.pos).split('\n').length;
        found.push({ where: `${rel}:${line}`, spec: imp.fileName, target, rule });
      }
    }
  }
  return found;
}

/** One line per violation: `file:line imports 'spec' (target): rule`. */
export function formatViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `${v.where} imports '${v.spec}' (${v.target}): ${v.rule}`).join('\n');
}
