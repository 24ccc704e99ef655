import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSecretKey } from '../common/crypto/secret-box';
import { developmentJwtSecret, developmentSecretsKey } from './dev-secret';

describe('development secrets under .data/', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dev-secret-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key once, private to the user, and every later call reads the same one', () => {
    const file = join(dir, 'nested', 'dev-secrets-key');
    const key = developmentSecretsKey(file);
    expect(parseSecretKey(key)).toHaveLength(32);
    expect(developmentSecretsKey(file)).toBe(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['dev-secrets-key']); // no drafts left
  });

  it('keeps a key another process wrote first, and replaces an unusable file', () => {
    const file = join(dir, 'dev-secrets-key');
    const theirs = 'c'.repeat(64);
    writeFileSync(file, `${theirs}\n`);
    expect(developmentSecretsKey(file)).toBe(theirs);
    writeFileSync(file, 'truncated');
    const fresh = developmentSecretsKey(file);
    expect(parseSecretKey(fresh)).toHaveLength(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(fresh);
  });

  it('still generates JWT secrets as before', () => {
    const file = join(dir, 'dev-jwt-secret');
    const secret = developmentJwtSecret(file);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(developmentJwtSecret(file)).toBe(secret);
  });
});
