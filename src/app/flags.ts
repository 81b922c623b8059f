/**
 * The `--name value` flags of the scripts under bench/ (the CLI parses its own with commander).
 * A flag given without its value is an error, not its default; a flag without a fallback is required.
 */
export function flag(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) {
    const value = process.argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
    return value;
  }
  if (fallback === undefined) throw new Error(`--${name} is required`);
  return fallback;
}
