import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { type Category, categories } from '../vocabulary.js';
import { loadCorrections } from './corrections.js';
import { type Example, LearnedOpinion } from './learned-opinion.js';

// What the learned opinion learns from: the labelled contacts shipped in `examples/` (written from public posts
// by Microsoft 365 and Azure users, ja and en) and every category a person corrected on this partner's cases.
// Trained once per change of the corrections, so a correction teaches the next triage.

const examplesDir = new URL('./examples/', import.meta.url);

const exampleSchema = z.object({
  subject: z.string(),
  text: z.string(),
  expected: z.object({ category: z.enum(categories) }),
});
const exampleFile = z.union([
  z.array(exampleSchema),
  z.object({ contacts: z.array(exampleSchema) }).transform((f) => f.contacts),
]);

const isCategory = (c: string): c is Category => (categories as readonly string[]).includes(c);

let shipped: Example[] | null = null;

/** The labelled contacts shipped with the product. */
export function shippedExamples(): Example[] {
  if (shipped) return shipped;
  const files = readdirSync(examplesDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  shipped = files.flatMap((f) =>
    exampleFile
      .parse(JSON.parse(readFileSync(new URL(f, examplesDir), 'utf8')))
      .map((c) => ({ subject: c.subject, text: c.text, category: c.expected.category })),
  );
  return shipped;
}

let builtIn: LearnedOpinion | null = null;

/** The opinion learned from the shipped examples alone. */
export function builtInOpinion(): LearnedOpinion {
  builtIn ??= LearnedOpinion.train(shippedExamples());
  return builtIn;
}

/**
 * The newest corrections learned from, and how much of each text: training runs on the process that triages,
 * so it is bounded (2,000 corrections of 2,000 characters train in about a second).
 */
const CORRECTIONS = 2000;
const TEXT_CHARS = 2000;
const learned = new WeakMap<Db, { key: string; value: Promise<LearnedOpinion> }>();

/**
 * The opinion learned from the shipped examples and the partner's category corrections; retrained when a
 * category correction is added or removed (callers at that moment share one training).
 */
export async function loadOpinion(db: Db): Promise<LearnedOpinion> {
  const mark = await sql<{ n: string; last: string | null }>`
    select count(*)::text as n, max(id)::text as last from triage_corrections where category_corrected`.execute(
    db,
  );
  const key = `${mark.rows[0]?.n}:${mark.rows[0]?.last}`;
  if (key === '0:null') return builtInOpinion();
  const last = learned.get(db);
  if (last?.key === key) return last.value;
  const value = trainWithCorrections(db);
  learned.set(db, { key, value });
  value.catch(() => {
    if (learned.get(db)?.value === value) learned.delete(db);
  });
  return value;
}

async function trainWithCorrections(db: Db): Promise<LearnedOpinion> {
  const corrections = (await loadCorrections(db, CORRECTIONS))
    .filter((row) => row.category_corrected && isCategory(row.to_category))
    .map((row) => ({
      subject: row.subject,
      text: row.body.slice(0, TEXT_CHARS),
      category: row.to_category as Category,
    }));
  return LearnedOpinion.train([...shippedExamples(), ...corrections]);
}
