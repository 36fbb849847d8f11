import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { createDatabase, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { dryRun } from '../src/triage/dry-run.js';
import { createJudges } from '../src/triage/judge-threads.js';
import { loadOpinion } from '../src/triage/learned-opinion-store.js';
import { defaultRules } from '../src/triage/triage-config.js';
import { createTestDatabase } from '../test/support/database.js';
import { type Contact, classifyContact, readSet } from '../test/support/triage-sets.js';
import { type BenchResult, percentile, round } from './bench-result.js';

// Rule dry run: the last N cases (made from the labelled contacts) re-classified with a proposed rule set,
// plus every recorded correction replayed against both rule sets. The floor is the same classification
// done in memory, without the database: what the dry run adds is reading the cases and corrections.

const setFiles = [
  'contacts-1.json',
  'contacts-2.json',
  'contacts-3.json',
  'contacts-4.json',
  'final-test.json',
  'unseen-2.json',
];

async function seedCustomers(db: Db) {
  const customers = await db
    .insertInto('customers')
    .values(
      (['direct', 'indirect'] as const).map((relationship) => ({
        name: `${relationship} KK`,
        relationship,
        indirect_provider_email: relationship === 'indirect' ? 'p@x.example' : null,
        plan_id: null,
        locale: 'ja' as const,
        time_zone: 'Asia/Tokyo',
      })),
    )
    .returning(['id', 'relationship'])
    .execute();
  const contact = await db
    .insertInto('contacts')
    .values({ email: 'bench@x.example', name: null, customer_id: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { customers, contactId: contact.id };
}

/** `n` cases, each stored as the current rules classified it, as live triage would have; 500 per insert. */
async function seedCases(db: Db, contacts: Contact[], n: number) {
  const { customers, contactId } = await seedCustomers(db);
  const rules = defaultRules();
  const seeded: Array<{ id: string; contact: Contact; category: string; handling: string }> = [];
  for (let start = 0; start < n; start += 500) {
    const batch = Array.from(
      { length: Math.min(500, n - start) },
      (_, k) => contacts[(start + k) % contacts.length]!,
    );
    const judged = batch.map((c) => classifyContact(c, [], rules));
    const rows = await db
      .insertInto('cases')
      .values(
        batch.map((c, k) => ({
          subject: c.subject || c.text.slice(0, 40),
          channel: c.channel,
          verified: true,
          customer_id: customers.find((x) => x.relationship === c.relationship)!.id,
          contact_id: contactId,
          locale: c.locale,
          due_at: null,
          category: judged[k]!.category,
          handling: judged[k]!.handling,
          priority: judged[k]!.priority ?? 'normal',
        })),
      )
      .returning('id')
      .execute();
    await db
      .insertInto('messages')
      .values(
        batch.map((c, k) => ({
          case_id: rows[k]!.id,
          direction: 'in' as const,
          author: 'customer' as const,
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
        })),
      )
      .execute();
    for (const [k, c] of batch.entries()) {
      seeded.push({
        id: rows[k]!.id,
        contact: c,
        category: judged[k]!.category,
        handling: judged[k]!.handling,
      });
    }
  }
  return seeded;
}

/** A correction on every case whose label differs from what the rules said, up to `max`. */
async function seedCorrections(db: Db, seeded: Awaited<ReturnType<typeof seedCases>>, max: number) {
  const wrong = seeded
    .filter((s) => s.category !== s.contact.expected.category || s.handling !== s.contact.expected.handling)
    .slice(0, max);
  for (let start = 0; start < wrong.length; start += 500) {
    await db
      .insertInto('triage_corrections')
      .values(
        wrong.slice(start, start + 500).map((s, k) => ({
          case_id: s.id,
          case_number: String(start + k + 1),
          actor: 'bench',
          via: 'api' as const,
          from_category: s.category,
          to_category: s.contact.expected.category,
          from_handling: s.handling,
          to_handling: s.contact.expected.handling,
          category_corrected: s.category !== s.contact.expected.category,
          handling_corrected: s.handling !== s.contact.expected.handling,
          rule_id: null,
          subject: s.contact.subject,
          body: s.contact.text,
          channel: s.contact.channel,
          locale: s.contact.locale,
          relationship: s.contact.relationship,
          verified: true,
        })),
      )
      .execute();
  }
  return wrong.length;
}

export async function runTriageBench(opts: { cases: number; runs: number }, results: BenchResult[]) {
  const contacts = setFiles.flatMap((f) => readSet(f).contacts);
  const testDb = await createTestDatabase();
  const db = createDatabase({ url: testDb.url, max: 4 });
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
    const seeded = await seedCases(db, contacts, opts.cases);
    const corrections = await seedCorrections(db, seeded, opts.cases);
    const current = defaultRules();
    const proposed = defaultRules().filter((r) => r.id !== 'billing-subscription');
    const threads = Math.min(4, availableParallelism());
    const judges = createJudges({ threads });
    const times: number[] = [];
    const floors: number[] = [];
    let last = { evaluated: 0, changed: 0, corrections: { total: 0, fixed: 0, broken: 0 } };
    // The first load trains the opinion on the shipped examples and the corrections (timed apart); later
    // loads, as in the live route, check that the corrections are unchanged and reuse it.
    const trainStart = performance.now();
    let opinion = await loadOpinion(db);
    const trainMs = performance.now() - trainStart;
    // The first dry run starts the threads (timed apart, as the first after ten idle minutes would be).
    const coldStart = performance.now();
    await dryRun(db, current, proposed, { limit: opts.cases }, { opinion }, judges);
    const coldMs = performance.now() - coldStart;
    try {
      for (let i = 0; i < opts.runs; i++) {
        const started = performance.now();
        opinion = await loadOpinion(db);
        last = await dryRun(db, current, proposed, { limit: opts.cases }, { opinion }, judges);
        times.push(performance.now() - started);
        const floorStart = performance.now();
        for (const s of seeded) {
          classifyContact(s.contact, [], current, opinion);
          classifyContact(s.contact, [], proposed, opinion);
        }
        floors.push(performance.now() - floorStart);
      }
    } finally {
      await judges.close();
    }
    const median = percentile(times, 50);
    const floor = percentile(floors, 50);
    const c = last.corrections;
    process.stdout.write(
      `triage: dry run of ${last.evaluated} cases and ${c.total} corrections with the learned opinion on ${threads} threads, median ${round(median)} ms (first, threads starting, ${round(coldMs)} ms; the same cases classified twice on one thread in memory ${round(floor)} ms, ratio ${round(median / floor)}); ${last.changed} would change, corrections fixed ${c.fixed} broken ${c.broken}; the opinion learned from ${opinion.examples} contacts in ${round(trainMs)} ms\n`,
    );
    results.push(
      {
        name: 'triage_dry_run_median_ms',
        value: round(median),
        unit: 'ms',
        note: `${last.evaluated} cases and ${corrections} corrections re-classified with the current and a proposed rule set (billing rule removed) and the learned opinion on ${threads} threads, ${opts.runs} runs; ${last.changed} would change`,
      },
      {
        name: 'triage_dry_run_first_ms',
        value: round(coldMs),
        unit: 'ms',
        note: 'the first dry run, which starts the threads',
      },
      { name: 'triage_dry_run_max_ms', value: round(Math.max(...times)), unit: 'ms' },
      {
        name: 'triage_opinion_training_ms',
        value: round(trainMs),
        unit: 'ms',
        note: `the learned opinion trained on ${opinion.examples} contacts (shipped examples and corrections)`,
      },
      {
        name: 'triage_classify_floor_median_ms',
        value: round(floor),
        unit: 'ms',
        note: 'the same cases classified twice in memory, no database',
      },
      { name: 'triage_dry_run_vs_floor', value: round(median / floor), unit: 'ratio' },
    );
  } finally {
    await db.destroy();
    await testDb.drop();
  }
}
