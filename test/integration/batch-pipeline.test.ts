import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchIngestResult,
  ingestRawMail,
  ingestRawMails,
} from '../../src/channels/email/mail-ingest.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { RenderSandbox } from '../../src/replies/render-sandbox.js';
import { TemplateStore } from '../../src/replies/template-store.js';
import { TriageConfig } from '../../src/triage/triage-config.js';
import { type TriageDeps, triageMessages } from '../../src/triage/triage-message.js';
import { createMigratedDatabase, type TestDatabase } from '../support/database.js';
import { mail } from '../support/factories.js';

// A fetch batch goes through the pipeline as one: one look-up and one write for the mails that need nothing
// from each other, the rest on their own after. What comes out must be what taking the mails in one by one
// gives: the same cases, the same copies found, the same keys, and the per-sender cap over the whole batch.

const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a, 0x0d, 0x0a, 0x01, 0x02, 0x89, 0x50]);

/** A batch with every case the batch write must send on its own way, in fetch order. */
function batchMails(): Buffer[] {
  const m = (from: string, subject: string, body: string, messageId: string, inReplyTo?: string) =>
    Buffer.from(mail({ from, subject, body, messageId, inReplyTo }));
  return [
    m('Sato <sato@new.example>', 'Teams が落ちます', '会議に入れません', '<b1@new.example>'),
    m('Sato <sato@new.example>', '別件: ライセンス', '追加の見積もりを', '<b2@new.example>'),
    m('Kim <kim@other.example>', 'Outlook', 'cannot send', '<b3@other.example>'),
    // An answer to the first mail of the same batch.
    m(
      'Sato <sato@new.example>',
      'Re: Teams が落ちます',
      '再起動しても同じです',
      '<b4@new.example>',
      '<b1@new.example>',
    ),
    // A second delivery of the third mail (Cc to two addresses, say).
    m('Kim <kim@other.example>', 'Outlook', 'cannot send', '<b3@other.example>'),
    // Different words under the third mail's Message-ID (scanners do this).
    m('Scanner <scan@other.example>', 'Scan report', 'nothing found', '<b3@other.example>'),
    garbage,
    m('Lee <lee@third.example>', 'SharePoint', 'サイトが開けません', '<b8@third.example>'),
  ];
}

const ingestProps = (db: Db) => ({
  db,
  logger: createLogger('silent'),
  supportAddress: 'support@example.test',
  attachmentMaxBytes: 1024 * 1024,
});

async function storeRaws(db: Db, mails: Buffer[], firstUid = 1): Promise<string[]> {
  const rows = await db
    .insertInto('raw_mails')
    .values(
      mails.map((bytes, i) => ({
        mailbox_key: 'support@example.test',
        uid_validity: '1',
        uid: String(firstUid + i),
        bytes,
        size: bytes.length,
      })),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** What a batch left behind, with database ids replaced by the position of the mail that made them. */
async function projection(db: Db, rawIds: string[], results: Map<string, BatchIngestResult>) {
  const messages = await db
    .selectFrom('messages')
    .select(['raw_mail_id', 'case_id', 'message_id', 'from_address', 'text'])
    .where('direction', '=', 'in')
    .execute();
  const byRaw = new Map(messages.map((m) => [m.raw_mail_id, m]));
  const caseOf = new Map<string, number>();
  rawIds.forEach((id, i) => {
    const c = byRaw.get(id)?.case_id;
    if (c && !caseOf.has(c)) caseOf.set(c, i);
  });
  const raws = await db.selectFrom('raw_mails').select(['id', 'state']).orderBy('id').execute();
  return {
    outcomes: rawIds.map((id) => results.get(id)?.outcome),
    caseOfMail: rawIds.map((id) => {
      const c = byRaw.get(id)?.case_id;
      return c === undefined ? null : caseOf.get(c);
    }),
    storedUnder: rawIds.map((id) => byRaw.get(id)?.message_id?.replace(/#[0-9a-f]{16}$/, '#key') ?? null),
    rawStates: raws.map((r) => r.state),
    contacts: (await db.selectFrom('contacts').select('email').orderBy('email').execute()).map(
      (c) => c.email,
    ),
    cases: Number(
      (
        await db
          .selectFrom('cases')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst()
      )?.n,
    ),
    quarantined: Number(
      (
        await db
          .selectFrom('quarantine')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst()
      )?.n,
    ),
  };
}

describe('a fetch batch through the pipeline', () => {
  const dbs: { testDb: TestDatabase; db: Db }[] = [];
  const sandbox = new RenderSandbox();

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) dbs.push(await createMigratedDatabase());
  });

  afterAll(async () => {
    await sandbox.close();
    for (const { testDb, db } of dbs) {
      await db.destroy();
      await testDb.drop();
    }
  });

  it('takes a batch in exactly as one by one would, and a second run changes nothing', async () => {
    const [batch, alone] = [dbs[0]!.db, dbs[1]!.db];
    const mails = batchMails();

    const batchIds = await storeRaws(batch, mails);
    const batchResults = await ingestRawMails(ingestProps(batch), batchIds);
    const aloneIds = await storeRaws(alone, mails);
    const aloneResults = new Map<string, BatchIngestResult>();
    for (const id of aloneIds) aloneResults.set(id, await ingestRawMail(ingestProps(alone), id));

    const got = await projection(batch, batchIds, batchResults);
    expect(got).toEqual(await projection(alone, aloneIds, aloneResults));
    // And what that is, spelled out (each raw mail's state says the same as its outcome).
    const outcomes = [
      'ingested',
      'ingested',
      'ingested',
      'ingested',
      'duplicate',
      'ingested',
      'quarantined',
      'ingested',
    ];
    expect(got.outcomes).toEqual(outcomes);
    expect(got.caseOfMail).toEqual([0, 1, 2, 0, null, 5, null, 7]);
    expect(got.storedUnder[5]).toBe('<b3@other.example>#key');
    expect(got.rawStates).toEqual(outcomes);
    expect(got.contacts).toEqual([
      'kim@other.example',
      'lee@third.example',
      'sato@new.example',
      'scan@other.example',
    ]);

    const again = await ingestRawMails(ingestProps(batch), batchIds);
    expect([...again.values()].map((r) => r.outcome)).toEqual(Array(mails.length).fill('already-done'));
    expect(await projection(batch, batchIds, batchResults)).toEqual(got);
  });

  it('falls back to one by one when a concurrent writer takes a Message-ID of the batch, and loses nothing', async () => {
    const { db, testDb } = dbs[2]!;
    const mails = batchMails().filter((_, i) => i === 0 || i === 2 || i === 7);
    const ids = await storeRaws(db, mails, 100);
    // Another writer stores the second mail's Message-ID (with other words) and has not committed yet.
    const other = new pg.Client({ connectionString: testDb.url });
    await other.connect();
    try {
      await other.query('begin');
      const ct = await other.query(`insert into contacts (email) values ('x@other.example') returning id`);
      const kase = await other.query(
        `insert into cases (subject, channel, verified, contact_id, locale) values ('x', 'email', false, $1, 'en') returning id`,
        [ct.rows[0].id],
      );
      await other.query(
        `insert into messages (case_id, direction, author, channel, subject, text, full_text, mailbox_key, message_id)
         values ($1, 'in', 'customer', 'email', 'other', 'other words', 'other words', 'support@example.test', '<b3@other.example>')`,
        [kase.rows[0].id],
      );
      const running = ingestRawMails(ingestProps(db), ids);
      // The batch statement waits on the uncommitted key; once the other writer commits, it fails whole.
      await waitFor(async () => {
        const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
        return Number(r.rows[0]?.n) > 0;
      });
      await other.query('commit');
      const results = await running;
      expect([...results.values()].map((r) => r.outcome)).toEqual(['ingested', 'ingested', 'ingested']);
    } finally {
      await other.end();
    }
    const stored = await db
      .selectFrom('messages')
      .select(['message_id', 'raw_mail_id'])
      .where('raw_mail_id', 'in', ids)
      .orderBy('raw_mail_id')
      .execute();
    expect(stored.map((m) => m.message_id?.replace(/#[0-9a-f]{16}$/, '#key'))).toEqual([
      '<b1@new.example>',
      '<b3@other.example>#key',
      '<b8@third.example>',
    ]);
    const states = await db.selectFrom('raw_mails').select('state').where('id', 'in', ids).execute();
    expect(states.map((s) => s.state)).toEqual(['ingested', 'ingested', 'ingested']);
  });

  it('holds the per-sender cap across one triage batch, and triages two messages of one case in turn', async () => {
    const { db } = dbs[0]!;
    const triageConfig = new TriageConfig(db);
    await triageConfig.seed();
    const deps: TriageDeps = {
      db,
      logger: createLogger('silent'),
      templates: new TemplateStore(db),
      sandbox,
      triageConfig,
      supportAddress: 'support@example.test',
      autoReplyLimitPerHour: 2,
      autoReplyLimitPerHourAll: 1000,
    };
    // Four new mails from one sender, and the batch's earlier pair (a mail and the answer to it on one case).
    const robot = (k: number) =>
      Buffer.from(
        mail({
          from: 'robot@loop.example',
          subject: `Alert ${k}`,
          body: 'disk full',
          messageId: `<r${k}@loop.example>`,
        }),
      );
    const ids = await storeRaws(db, [1, 2, 3, 4].map(robot), 200);
    await ingestRawMails(ingestProps(db), ids);
    const inbound = await db
      .selectFrom('messages')
      .select(['id', 'case_id', 'from_address'])
      .where('direction', '=', 'in')
      .where('from_address', 'in', ['robot@loop.example', 'sato@new.example'])
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const items = inbound.map((m) => ({ caseId: m.case_id, messageId: m.id }));
    const results = await triageMessages(deps, items);
    expect(results.size).toBe(items.length);

    const replies = await db
      .selectFrom('outbox')
      .select(['to_address', 'trigger_message_id'])
      .where('purpose', '=', 'auto_reply')
      .execute();
    expect(replies.filter((r) => r.to_address === 'robot@loop.example')).toHaveLength(2);
    // Sato's first mail is acknowledged; the answer on the same case is triaged after it and gets none.
    expect(replies.filter((r) => r.to_address === 'sato@new.example')).toHaveLength(2);
    const triaged = await db
      .selectFrom('triage_records')
      .select('message_id')
      .where('step', '=', 'reply')
      .execute();
    expect(new Set(triaged.map((t) => t.message_id))).toEqual(new Set(items.map((i) => i.messageId)));
    const suppressed = await db
      .selectFrom('triage_records')
      .select('reason')
      .where('step', '=', 'reply')
      .where('result', '=', 'suppressed')
      .execute();
    expect(suppressed.filter((s) => /hour/.test(s.reason))).toHaveLength(2);

    // Triaging the batch again writes nothing more.
    await triageMessages(deps, items);
    const after = await db.selectFrom('outbox').select('id').where('purpose', '=', 'auto_reply').execute();
    expect(after).toHaveLength(replies.length);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
