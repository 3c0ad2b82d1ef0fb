// Secrets kept at rest (an org's Anthropic Admin API key): AES-256-GCM with a key from
// the SECRETS_KEY setting, a fresh 96-bit nonce per secret, and the row's purpose as
// associated data so a ciphertext copied to another purpose does not decrypt. Stored
// as "v1.<nonce>.<tag>.<ciphertext>" (base64url). The clear text never reaches a log.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class SecretBoxError extends Error {}

const TAG_BYTES = 16;

/** SECRETS_KEY: 32 bytes as 64 hex digits or base64 (44 characters). */
export function parseSecretsKey(value: string): Buffer {
  const v = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (key.length !== 32) throw new SecretBoxError('SECRETS_KEY must be 32 bytes: 64 hex digits or 44 base64 characters (e.g. `openssl rand -base64 32`)');
  return key;
}

export interface SecretBox {
  seal(clear: string, purpose: string): string;
  open(sealed: string, purpose: string): string;
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SecretBoxError('an AES-256 key is 32 bytes');
  return {
    seal(clear, purpose) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(purpose, 'utf8'));
      const ct = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
      return ['v1', nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
    },
    open(sealed, purpose) {
      const [version, nonce, tag, ct] = sealed.split('.');
      if (version !== 'v1' || !nonce || !tag || ct === undefined) throw new SecretBoxError('not a sealed secret');
      // Only the full 16-byte tag: GCM otherwise verifies a shortened one (DEP0182).
      const authTag = Buffer.from(tag, 'base64url');
      if (authTag.length !== TAG_BYTES) throw new SecretBoxError('the stored secret does not decrypt with SECRETS_KEY (was SECRETS_KEY changed?)');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(purpose, 'utf8'));
        decipher.setAuthTag(authTag);
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // Wrong SECRETS_KEY (rotated without re-sealing) or a tampered row: say which, never what.
        throw new SecretBoxError('the stored secret does not decrypt with SECRETS_KEY (was SECRETS_KEY changed?)');
      }
    },
  };
}
