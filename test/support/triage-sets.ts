import { existsSync, readFileSync } from 'node:fs';
import { type ActiveIncident, type ClassifyInput, classify } from '../../src/triage/classify.js';
import type { LearnedOpinion } from '../../src/triage/learned-opinion.js';
import type { Rule } from '../../src/triage/rule-schema.js';
import { serviceIdForName } from '../../src/triage/services.js';
import { defaultRules } from '../../src/triage/triage-config.js';
import { categories } from '../../src/vocabulary.js';

// The labelled contact sets and how the rules do on them: category and handling each, and both together.
// The first sets are an array of contacts judged against the Exchange and Teams incidents; later sets carry
// their own incidents ({ incidents, contacts }).

export interface Contact {
  id: string;
  channel: 'email' | 'chat';
  locale: 'ja' | 'en';
  relationship: 'direct' | 'indirect';
  subject: string;
  text: string;
  expected: { category: string; handling: string };
  note?: string;
}

export interface LabelledSet {
  name: string;
  contacts: Contact[];
  incidents: ActiveIncident[];
}

interface IncidentLine {
  id: string;
  service: string;
  title: string;
  status: string;
}

const at = new Date('2026-11-21T11:00:00Z');
const toActive = (i: IncidentLine): ActiveIncident => ({
  ...i,
  serviceId: serviceIdForName(i.service),
  updatedAt: at,
  link: null,
});

const exchangeAndTeams: IncidentLine[] = [
  {
    id: 'EX123456',
    service: 'Exchange Online',
    title: "Users can't access mailboxes via Outlook on the web",
    status: 'serviceDegradation',
  },
  {
    id: 'TM654321',
    service: 'Microsoft Teams',
    title: 'Users may be unable to join meetings',
    status: 'investigating',
  },
];

/** The sets the product learns from and its rules were tuned on. */
const examples = new URL('../../src/triage/examples/', import.meta.url);
/** The sets kept apart: never tuned on, never learned from. */
const heldOut = new URL('../fixtures/triage/', import.meta.url);

export function readSet(file: string): LabelledSet {
  const url = existsSync(new URL(file, examples)) ? new URL(file, examples) : new URL(file, heldOut);
  const raw = JSON.parse(readFileSync(url, 'utf8')) as
    | Contact[]
    | { incidents: IncidentLine[]; contacts: Contact[] };
  const lines = Array.isArray(raw) ? exchangeAndTeams : raw.incidents;
  const contacts = Array.isArray(raw) ? raw : raw.contacts;
  return { name: file.replace(/\.json$/, ''), contacts, incidents: lines.map(toActive) };
}

/** A labelled contact as triage reads it: a verified mail or chat of a known customer, within hours. */
export function contactInput(c: Contact, incidents: readonly ActiveIncident[]) {
  return {
    subject: c.subject,
    body: c.text,
    channel: c.channel,
    locale: c.locale,
    customer: { id: `cust-${c.relationship}`, relationship: c.relationship, planId: null },
    verified: true,
    withinHours: true,
    incidents,
  };
}

/** A direct customer's verified mail in English, triaged with the shipped rules unless told otherwise. */
export function triageMail(subject: string, body: string, more: Partial<ClassifyInput> = {}) {
  return classify({
    subject,
    body,
    channel: 'email',
    locale: 'en',
    customer: { id: 'c', relationship: 'direct', planId: null },
    verified: true,
    withinHours: true,
    incidents: [],
    rules: defaultRules(),
    ...more,
  });
}

export function classifyContact(
  c: Contact,
  incidents: readonly ActiveIncident[],
  rules: readonly Rule[],
  opinion: LearnedOpinion | null = null,
) {
  return classify({ ...contactInput(c, incidents), opinion, rules });
}

export interface SetScore {
  both: number;
  category: number;
  handling: number;
  report: string;
}

const pct = (n: number, of: number) => `${n}/${of} = ${((100 * n) / of).toFixed(1)}%`;

/** Accuracy on one set, with its confusion table and each miss with the rules that fired. */
export function scoreSet(
  set: LabelledSet,
  rules: readonly Rule[],
  opinion: LearnedOpinion | null = null,
): SetScore {
  const confusion = new Map<string, Map<string, number>>();
  const wrong: string[] = [];
  let both = 0;
  let category = 0;
  let handling = 0;
  for (const c of set.contacts) {
    const got = classifyContact(c, set.incidents, rules, opinion);
    const row = confusion.get(c.expected.category) ?? new Map<string, number>();
    row.set(got.category, (row.get(got.category) ?? 0) + 1);
    confusion.set(c.expected.category, row);
    const catOk = got.category === c.expected.category;
    const handOk = got.handling === c.expected.handling;
    if (catOk) category++;
    if (handOk) handling++;
    if (catOk && handOk) both++;
    else {
      const why = got.steps.filter((s) => s.step === 'rule').map((s) => s.reason);
      wrong.push(
        `${c.id}: expected ${c.expected.category}/${c.expected.handling}, got ${got.category}/${got.handling} ${why.join('; ') || '(no rule)'}`,
      );
    }
  }
  const short = (s: string) => s.replace(/^ms_/, 'ms.').slice(0, 10);
  const cols = [...categories];
  const n = set.contacts.length;
  const report = [
    `${set.name}: expected \\ got  ${cols.map((c) => short(c).padStart(10)).join(' ')}`,
    ...cols.map(
      (e) =>
        `${short(e).padEnd(15)} ${cols.map((g) => String(confusion.get(e)?.get(g) ?? '.').padStart(10)).join(' ')}`,
    ),
    `${set.name}: both ${pct(both, n)}, category ${pct(category, n)}, handling ${pct(handling, n)}`,
    ...wrong,
  ].join('\n');
  return { both: both / n, category: category / n, handling: handling / n, report };
}
