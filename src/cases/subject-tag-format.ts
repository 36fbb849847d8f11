import type { Db } from '../db/database.js';
import { defaultTagFormat } from './threading.js';

// The support profile's case tag format, as the intake reads subjects with it: looked up at most every few
// seconds per process (a change shows everywhere within that time), never on every mail.

const ttlMs = 5_000;
const cached = new WeakMap<Db, { at: number; value: Promise<string> }>();

export function subjectTagFormat(db: Db): Promise<string> {
  const hit = cached.get(db);
  if (hit && Date.now() - hit.at < ttlMs) return hit.value;
  const value = db
    .selectFrom('partner_profile')
    .select('subject_tag')
    .where('id', '=', 1)
    .executeTakeFirst()
    .then((r) => r?.subject_tag ?? defaultTagFormat);
  cached.set(db, { at: Date.now(), value });
  // A failed read is not kept: the next mail asks again.
  value.catch(() => cached.delete(db));
  return value;
}
