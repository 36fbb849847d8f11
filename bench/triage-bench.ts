import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { createDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { classify } from '../src/triage/classify.js';
import { dryRun } from '../src/triage/dry-run.js';
import { defaultRules } from '../src/triage/triage-config.js';
import { createTestDatabase } from '../test/support/database.js';
import { type BenchResult, percentile, round } from './bench-result.js';

// Rule dry run: the last N cases (made from the labelled contacts) re-classified with a proposed rule set.

interface Contact {
  channel: 'email' | 'chat';
  locale: 'ja' | 'en';
  relationship: 'direct' | 'indirect';
  subject: string;
  text: string;
  expected: { category: string; handling: string };
}

export async function runTriageBench(opts: { cases: number; runs: number }, results: BenchResult[]) {
  const contacts = JSON.parse(
    readFileSync(new URL('../test/fixtures/triage/contacts.json', import.meta.url), 'utf8'),
  ) as Contact[];
  const testDb = await createTestDatabase();
  const db = createDatabase({ url: testDb.url, max: 4 });
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
    const customers = await db
      .insertInto('customers')
      .values([
        {
          name: 'Direct KK',
          relationship: 'direct',
          indirect_provider_email: null,
          plan_id: null,
          locale: 'ja',
          time_zone: 'Asia/Tokyo',
        },
        {
          name: 'Indirect KK',
          relationship: 'indirect',
          indirect_provider_email: 'p@x.example',
          plan_id: null,
          locale: 'ja',
          time_zone: 'Asia/Tokyo',
        },
      ])
      .returning(['id', 'relationship'])
      .execute();
    const contact = await db
      .insertInto('contacts')
      .values({ email: 'bench@x.example', name: null, customer_id: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Each case stored as the current default rules classified it, as live triage would have.
    const current = defaultRules();
    for (let i = 0; i < opts.cases; i++) {
      const c = contacts[i % contacts.length]!;
      const customer = customers.find((x) => x.relationship === c.relationship)!;
      const now = classify({
        subject: c.subject,
        body: c.text,
        channel: c.channel,
        locale: c.locale,
        customer: { id: customer.id, relationship: c.relationship, planId: null },
        verified: true,
        withinHours: true,
        incidents: [],
        rules: current,
      });
      const kase = await db
        .insertInto('cases')
        .values({
          subject: c.subject || c.text.slice(0, 40),
          channel: c.channel,
          verified: true,
          customer_id: customer.id,
          contact_id: contact.id,
          locale: c.locale,
          due_at: null,
          category: now.category,
          handling: now.handling,
          priority: now.priority ?? 'normal',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('messages')
        .values({
          case_id: kase.id,
          direction: 'in',
          author: 'customer',
          channel: c.channel,
          subject: c.subject,
          text: c.text,
          full_text: c.text,
          html: null,
          from_address: 'bench@x.example',
          from_name: null,
          mailbox_key: null,
          message_id: null,
          in_reply_to: null,
          references: [],
          raw_mail_id: null,
          client_id: null,
          auto_reply_blocker: null,
        })
        .execute();
    }
    const proposed = defaultRules().filter((r) => r.id !== 'billing-subscription');
    const times: number[] = [];
    let last = { evaluated: 0, changed: 0 };
    for (let i = 0; i < opts.runs; i++) {
      const started = performance.now();
      last = await dryRun(db, current, proposed, { limit: opts.cases });
      times.push(performance.now() - started);
    }
    process.stdout.write(
      `triage: dry run of ${last.evaluated} cases, median ${round(percentile(times, 50))} ms, ${last.changed} would change\n`,
    );
    results.push(
      {
        name: 'triage_dry_run_median_ms',
        value: round(percentile(times, 50)),
        unit: 'ms',
        note: `${last.evaluated} cases re-classified with a proposed rule set (billing rule removed), ${opts.runs} runs; ${last.changed} would change`,
      },
      { name: 'triage_dry_run_max_ms', value: round(Math.max(...times)), unit: 'ms' },
    );
  } finally {
    await db.destroy();
    await testDb.drop();
  }
}
