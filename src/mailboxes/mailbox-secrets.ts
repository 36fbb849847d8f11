import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// The passwords of admin-added mailboxes, sealed at rest with SECRET_KEY: AES-256-GCM under a key derived
// from it (HKDF-SHA256, its own label, so the key is never the one that signs sessions). A rotated
// SECRET_KEY list still opens what an older key sealed; the next save seals with the first.

export interface MailboxSecrets {
  imapPassword?: string;
  smtpPassword?: string;
}

const version = 'v1';

function keyFrom(secretKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'csp-support-intake', 'mailbox secrets', 32));
}

/**
 * Seals the passwords of one mailbox. `boundTo` (the mailbox's id and URLs) is authenticated with them, so
 * sealed passwords moved to another row, or under a URL changed behind the API's back, no longer open.
 */
export function sealSecrets(secrets: MailboxSecrets, secretKey: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secretKey), iv);
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  return [
    version,
    iv.toString('base64'),
    cipher.getAuthTag().toString('base64'),
    body.toString('base64'),
  ].join('.');
}

export class SecretsUnreadableError extends Error {
  readonly code = 'mailbox_secrets_unreadable';
}

/** Opens sealed secrets with any of the keys (the signing one first); a key not in the list cannot. */
export function openSecrets(sealed: string, secretKeys: readonly string[], boundTo: string): MailboxSecrets {
  const [v, iv, tag, body] = sealed.split('.');
  if (v !== version || !iv || !tag || body === undefined)
    throw new SecretsUnreadableError('sealed mailbox secrets in an unknown form');
  for (const key of secretKeys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyFrom(key), Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
      return JSON.parse(text.toString('utf8')) as MailboxSecrets;
    } catch {
      // Sealed under another key of the list, or not at all with these: try the next.
    }
  }
  throw new SecretsUnreadableError(
    'no SECRET_KEY opens the sealed mailbox secrets (was SECRET_KEY changed?)',
  );
}
