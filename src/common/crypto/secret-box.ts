import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets we must keep but also use (webhook signing secrets). Stored form:
 * `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>`, all base64url. The key id says which key sealed a
 * value, so keys can rotate: values sealed with an older key still open while that key is listed
 * as previous, until they are sealed again with the current one.
 */
export const SEALED_PREFIX = 'enc:';
const VERSION = 'v1';
const IV_BYTES = 12; // GCM's native nonce size; random per value (2^32 seals per key is safe)
const TAG_BYTES = 16;

/** A key as configured: 64 hex characters, or base64/base64url of exactly 32 bytes. */
const KEY = '(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)';
export const SECRET_KEY_PATTERN = new RegExp(`^${KEY}$`);
/** Comma-separated keys (SECRETS_ENCRYPTION_KEY_PREVIOUS). */
export const SECRET_KEY_LIST_PATTERN = new RegExp(`^\\s*${KEY}(?:\\s*,\\s*${KEY})*\\s*$`);

export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  if (!SECRET_KEY_PATTERN.test(t)) {
    throw new Error('an encryption key must be 64 hex characters or 32 bytes in base64');
  }
  return /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64url');
}

/** A fresh key in the form SECRETS_ENCRYPTION_KEY takes. */
export function generateSecretKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Not a hash of the key (nothing to brute-force): an HMAC under it, cut to 8 characters. */
function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key)
    .update('handoff secret-box key id')
    .digest('base64url')
    .slice(0, 8);
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export class SecretBox {
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  /** `current` seals and opens; each of `previous` only opens. */
  constructor(current: string, previous: string[] = []) {
    const key = parseSecretKey(current);
    this.currentKeyId = keyIdOf(key);
    for (const k of [current, ...previous].map(parseSecretKey)) {
      if (!this.keys.has(keyIdOf(k))) this.keys.set(keyIdOf(k), k);
    }
  }

  /**
   * The box of the configured keys: SECRETS_ENCRYPTION_KEY seals, it and each of
   * SECRETS_ENCRYPTION_KEY_PREVIOUS (comma-separated) open. Start-up resolves the current key
   * (from the environment or .data/); only a hand-built app lacks it.
   */
  static fromEnv(env: {
    SECRETS_ENCRYPTION_KEY?: string;
    SECRETS_ENCRYPTION_KEY_PREVIOUS?: string;
  }): SecretBox {
    if (!env.SECRETS_ENCRYPTION_KEY) throw new Error('SECRETS_ENCRYPTION_KEY is not set');
    const previous = (env.SECRETS_ENCRYPTION_KEY_PREVIOUS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    return new SecretBox(env.SECRETS_ENCRYPTION_KEY, previous);
  }

  static isSealed(stored: string): boolean {
    return stored.startsWith(SEALED_PREFIX);
  }

  /** Clear values, and values sealed with another key than the current one. */
  needsSealing(stored: string): boolean {
    return !stored.startsWith(`${SEALED_PREFIX}${VERSION}:${this.currentKeyId}:`);
  }

  /**
   * `context` (e.g. the owning row's id) is authenticated but not stored: a sealed value copied
   * to another row does not open there.
   */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
    return [`${SEALED_PREFIX}${VERSION}`, this.currentKeyId, ...parts].join(':');
  }

  open(stored: string, context: string): string {
    const [prefix, version, keyId, iv, tag, data, ...rest] = stored.split(':');
    if (
      `${prefix}:` !== SEALED_PREFIX ||
      version !== VERSION ||
      data === undefined ||
      rest.length
    ) {
      throw new SecretBoxError('not a sealed value of a known version');
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretBoxError(
        `sealed with key ${keyId}, which is neither the current key nor a previous one`,
      );
    }
    try {
      // A fixed tag length: GCM would otherwise accept a tag cut down to 4 bytes.
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(data, 'base64url')),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch {
      throw new SecretBoxError(`sealed value did not authenticate under key ${keyId}`);
    }
  }
}
