import * as fs from 'node:fs';
import * as path from 'node:path';

let cachedRoot: string | undefined;

/** The package root (the folder holding package.json), found from the compiled file's location. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'kg-data'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the mmkge package root above ${__dirname}`);
    dir = parent;
  }
}

/** Path inside the package root. */
export function fromRoot(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}
