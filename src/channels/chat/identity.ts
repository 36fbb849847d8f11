import { createHmac, timingSafeEqual } from 'node:crypto';

// Who a chat visitor is. The partner's portal signs the signed-in user's email (identityHash); the server
// signs the visitor's session (sessionToken) so a reload resumes the same conversation and nothing else.

const hex = /^[0-9a-f]{64}$/;

export function identityHashFor(email: string, secret: string): string {
  return createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex');
}

/** Constant-time check of the portal's hash; false for anything malformed. */
export function identityVerified(email: string, hash: string, secret: string): boolean {
  const h = hash.trim().toLowerCase();
  if (!hex.test(h)) return false;
  return timingSafeEqual(Buffer.from(h, 'hex'), Buffer.from(identityHashFor(email, secret), 'hex'));
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function sign(payload: string, key: string): string {
  return createHmac('sha256', key).update(`chat-session\n${payload}`).digest('base64url');
}

/** `v1.<session id>.<expiry, unix seconds>.<signature>` */
export function issueSessionToken(
  sessionId: string,
  key: string,
  ttlSeconds: number,
  now = Date.now(),
): string {
  const payload = `v1.${sessionId}.${Math.floor(now / 1000) + ttlSeconds}`;
  return `${payload}.${sign(payload, key)}`;
}

/** The session id of a valid, unexpired token; null for anything else (tampered, expired, malformed). */
export function readSessionToken(token: string, key: string, now = Date.now()): string | null {
  if (typeof token !== 'string' || token.length > 300) return null;
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return null;
  const [, id = '', exp = '', sig = ''] = parts;
  if (!uuid.test(id) || !/^\d{1,12}$/.test(exp)) return null;
  const expected = Buffer.from(sign(`v1.${id}.${exp}`, key));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (Number(exp) * 1000 < now) return null;
  return id;
}
