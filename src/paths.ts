import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let cachedRoot: string | undefined;

/** The package root (the folder holding package.json), found from the compiled file's location. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    if (isMmkgePackage(path.join(dir, 'package.json'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the mmkge package root above ${__dirname}`);
    dir = parent;
  }
}

/** True when `file` is the package.json of mmkge (the published package has no data folders to look for). */
function isMmkgePackage(file: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'mmkge';
  } catch {
    return false;
  }
}

/** Path inside the package root. */
export function fromRoot(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}

/**
 * The per-user cache of mmkge (downloaded datasets, derived files, the word-vector package):
 * env `MMKGE_CACHE` when set, else `$XDG_CACHE_HOME/mmkge`, else `~/.cache/mmkge` (the XDG
 * base-directory rule PyKEEN and Hugging Face datasets follow as well).
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.MMKGE_CACHE?.trim();
  if (own) return path.resolve(own);
  const xdg = env.XDG_CACHE_HOME?.trim();
  if (xdg) return path.join(path.resolve(xdg), 'mmkge');
  return path.join(os.homedir(), '.cache', 'mmkge');
}
