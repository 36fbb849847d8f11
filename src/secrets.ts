import { randomBytes } from 'node:crypto';
import type { Db } from './db/database.js';

// Keys the product signs with. Taken from the environment when set; otherwise generated once and kept in
// the database, so every process of one installation shares them and restarts keep sessions valid.

export interface Secrets {
  /** The key that signs (sessions, reply tokens): the first of `secretKeys`. */
  secretKey: string;
  /** Every key still accepted for reply tokens, the signing one first. */
  secretKeys: string[];
  /** Every key that may have sealed a mailbox's passwords: `secretKeys`, then the generated one of the
   * database if SECRET_KEY was set only later. */
  sealKeys: string[];
  chatIdentitySecret: string;
}

async function stored(db: Db, key: string): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key, value: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return row.value;
}

export async function loadSecrets(
  db: Db,
  env: { secretKeys?: string[]; chatIdentitySecret?: string },
): Promise<Secrets> {
  const secretKeys = env.secretKeys?.length ? env.secretKeys : [await stored(db, 'secret_key')];
  const generated = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'secret_key')
    .executeTakeFirst();
  return {
    secretKey: secretKeys[0]!,
    secretKeys,
    sealKeys:
      generated && !secretKeys.includes(generated.value) ? [...secretKeys, generated.value] : secretKeys,
    chatIdentitySecret: env.chatIdentitySecret ?? (await stored(db, 'chat_identity_secret')),
  };
}
