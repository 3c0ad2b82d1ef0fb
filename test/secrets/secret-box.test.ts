// Secrets at rest: sealed with AES-256-GCM under SECRETS_KEY; the clear text is not in
// what is stored, opens only with the same key and purpose, and a tampered row fails.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSecretsKey, secretBox, SecretBoxError } from '../../src/secrets/secret-box.js';
import { configSchema } from '../../src/config.js';

const KEY = randomBytes(32);
const SECRET = 'sk-ant-admin01-abcdefghijklmnopqrstuvwxyz0123456789';

describe('the secret box', () => {
  it('seals so the stored text holds nothing of the secret, and opens it again', () => {
    const box = secretBox(KEY);
    const sealed = box.seal(SECRET, 'anthropic-admin-key:org-1');
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(box.open(sealed, 'anthropic-admin-key:org-1')).toBe(SECRET);
    // A fresh nonce each time: the same secret never seals the same way twice.
    expect(box.seal(SECRET, 'anthropic-admin-key:org-1')).not.toBe(sealed);
  });

  it('refuses another key, another purpose (another org) and a tampered row', () => {
    const sealed = secretBox(KEY).seal(SECRET, 'anthropic-admin-key:org-1');
    expect(() => secretBox(randomBytes(32)).open(sealed, 'anthropic-admin-key:org-1')).toThrow(/SECRETS_KEY/);
    expect(() => secretBox(KEY).open(sealed, 'anthropic-admin-key:org-2')).toThrow(SecretBoxError);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => secretBox(KEY).open([...parts.slice(0, 3), flipped.toString('base64url')].join('.'), 'anthropic-admin-key:org-1')).toThrow(SecretBoxError);
    // The error never carries the secret.
    try {
      secretBox(randomBytes(32)).open(sealed, 'anthropic-admin-key:org-1');
    } catch (err) {
      expect(String(err)).not.toContain(SECRET);
    }
  });

  it('takes SECRETS_KEY as 64 hex digits or base64 of 32 bytes, and says what it must be otherwise', () => {
    expect(parseSecretsKey(KEY.toString('hex'))).toEqual(KEY);
    expect(parseSecretsKey(KEY.toString('base64'))).toEqual(KEY);
    expect(() => parseSecretsKey('short')).toThrow(/32 bytes/);
    const parsed = configSchema.safeParse({ SECRETS_KEY: 'short' });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('32 bytes');
    expect(configSchema.parse({ SECRETS_KEY: KEY.toString('base64') }).SECRETS_KEY).toBe(KEY.toString('base64'));
  });

  it('refuses a sealed secret whose tag was shortened (GCM accepts 4-byte tags unless told 16)', () => {
    const box = secretBox(randomBytes(32));
    const [v, nonce, tag, ct] = box.seal('sk-ant-admin01-short-tag', 'anthropic:org-1').split('.');
    const short = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open([v, nonce, short, ct].join('.'), 'anthropic:org-1')).toThrow(SecretBoxError);
  });
});
