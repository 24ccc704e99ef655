import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { generateSecretKey, SECRET_KEY_PATTERN } from '../common/crypto/secret-box';

/**
 * Outside production a missing secret is generated once and kept under .data/, so it survives
 * restarts and every local process uses the same one. Processes starting together (API, worker,
 * CLI) agree: the file appears atomically and the first writer wins.
 */
export function developmentSecret(
  file: string,
  generate: () => string,
  isValid: (existing: string) => boolean,
): string {
  const path = resolve(file);
  const existing = readTrimmed(path);
  if (existing !== null && isValid(existing)) return existing;
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, generate() + '\n', { mode: 0o600 });
  try {
    if (existing === null)
      linkSync(draft, path); // fails if another process got there first
    else renameSync(draft, path); // replaces an unusable file
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(draft, { force: true });
  }
  return readTrimmed(path)!;
}

function readTrimmed(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null; // first run
  }
}

export function developmentJwtSecret(file = '.data/dev-jwt-secret'): string {
  return developmentSecret(
    file,
    () => randomBytes(48).toString('base64url'),
    (s) => s.length >= 32,
  );
}

/** Losing this file loses every secret it encrypted: keep .data/ when upgrading a laptop. */
export function developmentSecretsKey(file = '.data/dev-secrets-key'): string {
  return developmentSecret(file, generateSecretKey, (s) => SECRET_KEY_PATTERN.test(s));
}
