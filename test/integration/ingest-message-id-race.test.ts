import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestRawMail } from '../../src/channels/email/mail-ingest.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { createMigratedDatabase, type TestDatabase } from '../support/database.js';

// Alert systems and scanners reuse one Message-ID for different mails. When two such mails are ingested at
// the same moment, the unique (mailbox, Message-ID) key lets one win; the other must still be told apart by
// its words, never dropped as a copy. Identical copies must still come out as one message.

const rounds = 30;
const mailboxKey = 'race@example.test';

function rawMail(messageId: string, body: string): Buffer {
  return Buffer.from(
    [
      'From: Scanner <scanner@contoso.co.jp>',
      'To: support@example.test',
      'Subject: Vulnerability scan finished',
      `Message-ID: ${messageId}`,
      'Date: Mon, 30 Nov 2026 10:00:00 +0900',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

describe('ingest: two mails with one Message-ID at the same moment', () => {
  let testDb: TestDatabase;
  let db: Db;
  let uid = 0;
  const props = () => ({
    db,
    logger: createLogger('silent'),
    supportAddress: 'support@example.test',
    attachmentMaxBytes: 1024 * 1024,
  });

  beforeAll(async () => {
    ({ testDb, db } = await createMigratedDatabase());
  });

  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  const store = async (bytes: Buffer): Promise<string> => {
    const row = await db
      .insertInto('raw_mails')
      .values({ mailbox_key: mailboxKey, uid_validity: '1', uid: String(++uid), bytes, size: bytes.length })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };

  /** Every raw mail ingested by its own call, all released at once after a shared barrier. */
  const ingestTogether = async (rawIds: string[]) => {
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runs = rawIds.map(async (id) => {
      await barrier;
      return ingestRawMail(props(), id);
    });
    release();
    return Promise.all(runs);
  };

  const messagesOf = (rawIds: string[]) =>
    db
      .selectFrom('messages')
      .innerJoin('raw_mails', 'raw_mails.id', 'messages.raw_mail_id')
      .select(['messages.raw_mail_id', 'messages.case_id', 'messages.message_id', 'raw_mails.state'])
      .where('messages.raw_mail_id', 'in', rawIds)
      .execute();

  const states = async (rawIds: string[]) =>
    (await db.selectFrom('raw_mails').select(['id', 'state']).where('id', 'in', rawIds).execute())
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map((r) => r.state);

  it(`gives each different mail its own message and case, ${rounds} rounds`, async () => {
    for (let round = 0; round < rounds; round++) {
      const id = `<scan-${round}-${randomBytes(4).toString('hex')}@scanner.contoso.co.jp>`;
      const rawIds = [
        await store(rawMail(id, `Host A: 3 findings (round ${round})`)),
        await store(rawMail(id, `Host B: 7 findings (round ${round})`)),
      ];
      const results = await ingestTogether(rawIds);
      expect(results.map((r) => r.outcome)).toEqual(['ingested', 'ingested']);
      const stored = await messagesOf(rawIds);
      expect(stored).toHaveLength(2);
      expect(new Set(stored.map((m) => m.case_id)).size).toBe(2);
      expect(new Set(stored.map((m) => m.message_id)).size).toBe(2);
      expect(await states(rawIds)).toEqual(['ingested', 'ingested']);
    }
  });

  it(`keeps two identical copies as one message, ${rounds} rounds`, async () => {
    for (let round = 0; round < rounds; round++) {
      const bytes = rawMail(
        `<copy-${round}-${randomBytes(4).toString('hex')}@scanner.contoso.co.jp>`,
        'Same',
      );
      const rawIds = [await store(bytes), await store(bytes)];
      const results = await ingestTogether(rawIds);
      expect(results.map((r) => r.outcome).sort()).toEqual(['duplicate', 'ingested']);
      expect(await messagesOf(rawIds)).toHaveLength(1);
      expect((await states(rawIds)).sort()).toEqual(['duplicate', 'ingested']);
    }
  });

  it(`stores a mail and two copies of a different one reusing its id as two messages, ${rounds} rounds`, async () => {
    for (let round = 0; round < rounds; round++) {
      const id = `<triple-${round}-${randomBytes(4).toString('hex')}@scanner.contoso.co.jp>`;
      const first = rawMail(id, `Host A (round ${round})`);
      const second = rawMail(id, `Host B (round ${round})`);
      const rawIds = [await store(first), await store(second), await store(second)];
      const results = await ingestTogether(rawIds);
      expect(results.filter((r) => r.outcome === 'ingested')).toHaveLength(2);
      expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(1);
      const stored = await messagesOf(rawIds);
      expect(stored).toHaveLength(2);
      // The one mail stored is the first; of the two copies of the second, exactly one.
      expect(stored.some((m) => m.raw_mail_id === rawIds[0])).toBe(true);
      expect(stored.filter((m) => m.raw_mail_id !== rawIds[0])).toHaveLength(1);
      expect(new Set(stored.map((m) => m.case_id)).size).toBe(2);
    }
  });

  it(`stores three different mails sharing one id as three messages, ${rounds} rounds`, async () => {
    for (let round = 0; round < rounds; round++) {
      const id = `<three-${round}-${randomBytes(4).toString('hex')}@scanner.contoso.co.jp>`;
      const rawIds = [
        await store(rawMail(id, `Host A (round ${round})`)),
        await store(rawMail(id, `Host B (round ${round})`)),
        await store(rawMail(id, `Host C (round ${round})`)),
      ];
      const results = await ingestTogether(rawIds);
      expect(results.map((r) => r.outcome)).toEqual(['ingested', 'ingested', 'ingested']);
      const stored = await messagesOf(rawIds);
      expect(stored).toHaveLength(3);
      expect(new Set(stored.map((m) => m.case_id)).size).toBe(3);
    }
  });
});
