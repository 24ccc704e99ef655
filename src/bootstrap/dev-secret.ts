import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Outside production a missing JWT_SECRET is generated once and kept under .data/, so tokens
 * survive restarts and every local process signs with the same key.
 */
export function developmentJwtSecret(file = '.data/dev-jwt-secret'): string {
  const path = resolve(file);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // first run
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, secret + '\n', { mode: 0o600 });
  return secret;
}
