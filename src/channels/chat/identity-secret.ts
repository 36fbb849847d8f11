import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

// The key the partner's portal signs visitors' addresses with: CHAT_IDENTITY_SECRET when set (then it cannot
// be rotated here), else the one kept in the database, which an admin may replace. Every process reads the
// current one at most every few seconds, so a rotation holds everywhere within that time: a portal still
// signing with the old key gets unverified chats, never verified ones.

const settingKey = 'chat_identity_secret';

export class ChatIdentitySecret {
  private cache: { at: number; value: string } | null = null;

  constructor(
    private readonly db: Db,
    /** CHAT_IDENTITY_SECRET, when the environment sets it. */
    private readonly fromEnv: string | undefined,
    /** The key read at start (loadSecrets keeps one in the database). */
    private readonly atStart: string,
    private readonly ttlMs = 5_000,
  ) {}

  get source(): 'CHAT_IDENTITY_SECRET' | 'generated' {
    return this.fromEnv ? 'CHAT_IDENTITY_SECRET' : 'generated';
  }

  async current(): Promise<string> {
    if (this.fromEnv) return this.fromEnv;
    if (this.cache && Date.now() - this.cache.at < this.ttlMs) return this.cache.value;
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', settingKey)
      .executeTakeFirst();
    const value = row?.value ?? this.atStart;
    this.cache = { at: Date.now(), value };
    return value;
  }

  /** A new random key in place of the old one; refused when the environment sets the key. */
  async rotate(): Promise<string> {
    if (this.fromEnv) throw new Error('CHAT_IDENTITY_SECRET is set by the environment');
    const value = randomBytes(32).toString('hex');
    await sql`insert into settings (key, value) values (${settingKey}, ${value})
      on conflict (key) do update set value = excluded.value`.execute(this.db);
    this.cache = { at: Date.now(), value };
    return value;
  }
}
