import { generateSecretKey, parseSecretKey, SecretBox, SecretBoxError } from './secret-box';

const KEY = generateSecretKey();
const OLD = 'a'.repeat(64); // hex form
const OTHER = Buffer.alloc(32, 7).toString('base64'); // standard base64 with padding

describe('SecretBox', () => {
  it('round-trips, with a fresh IV each time and nothing of the secret in the output', () => {
    const box = new SecretBox(KEY);
    const a = box.seal('whsec_top-secret', 'company-1');
    const b = box.seal('whsec_top-secret', 'company-1');
    expect(a).toMatch(new RegExp(`^enc:v1:${box.currentKeyId}:[\\w-]+:[\\w-]+:[\\w-]+$`));
    expect(a).not.toBe(b);
    expect(a).not.toContain('top-secret');
    expect(box.open(a, 'company-1')).toBe('whsec_top-secret');
    expect(box.open(b, 'company-1')).toBe('whsec_top-secret');
    expect(box.open(box.seal('', 'c'), 'c')).toBe('');
    expect(box.open(box.seal('é ✓ 𝄞', 'c'), 'c')).toBe('é ✓ 𝄞');
  });

  it('detects tampering with the ciphertext, the tag, the IV or the context', () => {
    const box = new SecretBox(KEY);
    const sealed = box.seal('whsec_top-secret', 'company-1');
    const parts = sealed.split(':');
    const flip = (i: number) => {
      const bytes = Buffer.from(parts[i], 'base64url');
      bytes[0] ^= 1;
      return [...parts.slice(0, i), bytes.toString('base64url'), ...parts.slice(i + 1)].join(':');
    };
    for (const i of [3, 4, 5]) {
      expect(() => box.open(flip(i), 'company-1')).toThrow(SecretBoxError);
    }
    // A tag cut short must not be accepted either (GCM allows 4-byte tags unless told not to).
    const shortTag = Buffer.from(parts[4], 'base64url').subarray(0, 4).toString('base64url');
    expect(() =>
      box.open([...parts.slice(0, 4), shortTag, parts[5]].join(':'), 'company-1'),
    ).toThrow(SecretBoxError);
    // Copied to another row, it does not open.
    expect(() => box.open(sealed, 'company-2')).toThrow(SecretBoxError);
    expect(() => box.open('whsec_clear', 'company-1')).toThrow(SecretBoxError);
    expect(() => box.open('enc:v2:x:y:z:w', 'company-1')).toThrow(SecretBoxError);
  });

  it('refuses a value sealed with a key it does not have', () => {
    const sealed = new SecretBox(OTHER).seal('whsec_x', 'c');
    expect(() => new SecretBox(KEY).open(sealed, 'c')).toThrow(/neither the current key/);
  });

  it('opens values sealed with a previous key, and says they need sealing again', () => {
    const old = new SecretBox(OLD);
    const sealedOld = old.seal('whsec_rotated', 'c');
    const box = new SecretBox(KEY, [OLD, OTHER]);
    expect(box.open(sealedOld, 'c')).toBe('whsec_rotated');
    expect(box.needsSealing(sealedOld)).toBe(true);
    expect(box.needsSealing('whsec_clear')).toBe(true);
    const resealed = box.seal(box.open(sealedOld, 'c'), 'c');
    expect(box.needsSealing(resealed)).toBe(false);
    expect(() => old.open(resealed, 'c')).toThrow(SecretBoxError);
    expect(SecretBox.isSealed(resealed)).toBe(true);
    expect(SecretBox.isSealed('whsec_clear')).toBe(false);
  });

  it('takes keys as 64 hex characters or 32 bytes of base64, nothing else', () => {
    expect(parseSecretKey(OLD)).toHaveLength(32);
    expect(parseSecretKey(OTHER)).toEqual(Buffer.alloc(32, 7));
    expect(parseSecretKey(KEY)).toHaveLength(32);
    for (const bad of [
      '',
      'short',
      'a'.repeat(63),
      'g'.repeat(64),
      Buffer.alloc(16).toString('base64'),
    ]) {
      expect(() => parseSecretKey(bad)).toThrow(/64 hex characters or 32 bytes/);
    }
    // The same key written two ways has one id.
    const hex = Buffer.alloc(32, 9).toString('hex');
    const b64 = Buffer.alloc(32, 9).toString('base64');
    expect(new SecretBox(hex).currentKeyId).toBe(new SecretBox(b64).currentKeyId);
    expect(new SecretBox(hex).currentKeyId).not.toBe(new SecretBox(OLD).currentKeyId);
  });
});
