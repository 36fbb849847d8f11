import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// The token in an agent notification's Reply-To (`support+<token>@partner.example`): it names the case and
// the agent it was sent to, expires, and cannot be made or changed without the key. It travels in the local
// part of an address, which mail systems may fold to lower case, so it is lower-case base32 and read as such.
// The key that signed it is named by a one-byte id, so that the key can be changed while the tokens of the
// old one (listed after the new one) keep working until they expire.

export interface ReplyTokenFacts {
  caseNumber: number;
  /** The agent's number (agents.number), not their address: the address may change. */
  agentNumber: number;
  expiresAt: Date;
}

export type ReplyTokenVerdict =
  | ({ ok: true } & ReplyTokenFacts)
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' };

const macBytes = 10;
const dayMs = 86_400_000;
const context = Buffer.from('csp-support reply token v1\n');
const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';

/** Keys too short to sign with (an empty entry of a list, say) are a configuration error, never a key. */
function usableKeys(keys: readonly string[]): readonly string[] {
  const short = keys.find((k) => k.length < 32);
  if (short !== undefined) throw new Error('reply token keys must be at least 32 characters');
  return keys;
}

/** The one-byte id of a key: the first byte of its SHA-256. */
function keyId(key: string): number {
  return createHash('sha256').update(key).digest()[0]!;
}

function mac(key: string, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(context).update(payload).digest().subarray(0, macBytes);
}

/** A token for `facts`, signed with the first of `keys`. */
export function issueReplyToken(keys: readonly string[], facts: ReplyTokenFacts): string {
  const key = usableKeys(keys)[0];
  if (!key) throw new Error('no key to sign reply tokens with');
  // Whole days keep the token short: it lives until the end of the UTC day its expiry falls on.
  const expiryDay = Math.ceil(facts.expiresAt.getTime() / dayMs);
  const payload = Buffer.concat([
    Buffer.from([keyId(key)]),
    varint(facts.caseNumber),
    varint(facts.agentNumber),
    varint(expiryDay),
  ]);
  return base32(Buffer.concat([payload, mac(key, payload)]));
}

/** What a token names, if one of `keys` signed it and it has not expired at `now`. */
export function readReplyToken(keys: readonly string[], token: string, now = new Date()): ReplyTokenVerdict {
  // Base32 letters only, before folding case: some non-ASCII letters fold to ASCII ones (the Kelvin sign).
  if (!/^[A-Za-z2-7]{1,80}$/.test(token)) return { ok: false, reason: 'malformed' };
  const text = token.toLowerCase();
  const bytes = unbase32(text);
  // Only the one spelling of the bytes counts (the last letter's spare bits must be zero).
  if (!bytes || bytes.length < 1 + 3 + macBytes || base32(bytes) !== text)
    return { ok: false, reason: 'malformed' };
  const payload = bytes.subarray(0, bytes.length - macBytes);
  const given = bytes.subarray(bytes.length - macBytes);
  // Two keys may share an id (one byte): each of them is tried.
  const candidates = usableKeys(keys).filter((k) => keyId(k) === payload[0]);
  if (!candidates.length) return { ok: false, reason: 'unknown_key' };
  if (!candidates.some((key) => timingSafeEqual(mac(key, payload), given)))
    return { ok: false, reason: 'bad_signature' };
  const fields = readVarints(payload.subarray(1), 3);
  if (!fields) return { ok: false, reason: 'malformed' };
  const [caseNumber, agentNumber, expiryDay] = fields as [number, number, number];
  const expiresAt = new Date(expiryDay * dayMs);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, caseNumber, agentNumber, expiresAt };
}

/** The token in a plus-address of the support address (`support+<token>@domain`), if it is one. */
export function tokenInAddress(address: string, supportAddress: string): string | null {
  const at = address.lastIndexOf('@');
  const supportAt = supportAddress.lastIndexOf('@');
  if (at < 0 || supportAt < 0) return null;
  const domain = address.slice(at + 1).toLowerCase();
  if (domain !== supportAddress.slice(supportAt + 1).toLowerCase()) return null;
  const local = address.slice(0, at).toLowerCase();
  const prefix = `${supportAddress.slice(0, supportAt).toLowerCase()}+`;
  if (!local.startsWith(prefix) || local.length === prefix.length) return null;
  return local.slice(prefix.length);
}

function varint(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a token number: ${n}`);
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return Buffer.from(out);
}

/** Exactly `count` varints filling `bytes`, or null. */
function readVarints(bytes: Buffer, count: number): number[] | null {
  const out: number[] = [];
  let v = 0;
  let scale = 1;
  for (const b of bytes) {
    v += (b & 0x7f) * scale;
    scale *= 128;
    if (scale > 2 ** 56) return null;
    if (b & 0x80) continue;
    out.push(v);
    v = 0;
    scale = 1;
  }
  return out.length === count && scale === 1 ? out : null;
}

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Buffer | null {
  if (!/^[a-z2-7]{1,80}$/.test(text)) return null;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = ((value << 5) | alphabet.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The reply address carrying `token`: `support+<token>@domain`. */
export function replyAddress(supportAddress: string, token: string): string {
  const at = supportAddress.lastIndexOf('@');
  return `${supportAddress.slice(0, at)}+${token}${supportAddress.slice(at)}`;
}
