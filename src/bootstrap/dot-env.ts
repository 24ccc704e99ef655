import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * Reads `.env` from the working directory into `target`, as every entry point does (the API,
 * the worker, the CLI and the migration data source): a variable already set in the real
 * environment wins over the file, like process.loadEnvFile. No file, nothing to do.
 * Returns the names it set.
 */
export function loadDotEnv(
  file = '.env',
  target: Record<string, string | undefined> = process.env,
): string[] {
  const path = resolve(file);
  if (!existsSync(path)) return [];
  const set: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (target[name] !== undefined) continue;
    target[name] = value;
    set.push(name);
  }
  return set;
}
