import type { Category, Handling, Priority } from '../vocabulary.js';
import { type ContactInput, classifyRead, readContact } from './classify.js';
import { LearnedOpinion, type OpinionParts } from './learned-opinion.js';
import type { Rule } from './rule-schema.js';
import { type CatalogueSource, ServiceCatalogue } from './services.js';
import type { Reading } from './triage-config.js';

// What a rule change does to one contact: the contact read once, then classified with the current and with the
// proposed rules. Pure, so a dry run can do it on the calling thread or on dry-run threads (`judgeTask`, with
// the reading sent as plain data).

/** What one rule set made of a contact. */
export interface Verdict {
  category: Category;
  handling: Handling;
  priority: Priority;
  /** The rules that fired, in order. */
  rules: string[];
}

/** The current rules' verdict and the proposed rules'. */
export type Verdicts = [before: Verdict, after: Verdict];

/** A contact as it crosses to a thread: without the catalogue and the opinion (the task carries those once). */
export type PlainContact = Omit<ContactInput, 'catalogue' | 'opinion'>;

export function judge(contact: ContactInput, current: readonly Rule[], proposed: readonly Rule[]): Verdicts {
  const read = readContact(contact);
  const before = verdictOf(classifyRead({ ...contact, rules: current }, read));
  if (current === proposed) return [before, before];
  return [before, verdictOf(classifyRead({ ...contact, rules: proposed }, read))];
}

function verdictOf(c: ReturnType<typeof classifyRead>): Verdict {
  return {
    category: c.category,
    handling: c.handling,
    priority: c.priority ?? 'normal',
    rules: c.steps.filter((s) => s.step === 'rule').map((s) => s.result),
  };
}

/** A reading as plain data; `key` names it, so a thread makes it once for every task that carries it. */
export interface ReadingParts {
  key: string;
  catalogue: CatalogueSource | null;
  opinion: OpinionParts | null;
}

/** A share of a dry run for one thread. */
export interface JudgeTask {
  contacts: PlainContact[];
  current: Rule[];
  /** Absent when the proposed rules are the current ones. */
  proposed: Rule[] | null;
  reading: ReadingParts;
}

let cachedReading: { key: string; reading: Partial<Reading> } | null = null;

/** Runs in a dry-run thread (see judge-worker.mjs): the verdicts of a task's contacts, in order. */
export function judgeTask(task: JudgeTask): Verdicts[] {
  if (cachedReading?.key !== task.reading.key) {
    const { catalogue, opinion } = task.reading;
    cachedReading = {
      key: task.reading.key,
      reading: {
        ...(catalogue
          ? {
              catalogue: new ServiceCatalogue(
                catalogue.definitions,
                catalogue.customAliases,
                catalogue.discoveredNames,
              ),
            }
          : {}),
        opinion: opinion ? LearnedOpinion.fromParts(opinion) : null,
      },
    };
  }
  const reading = cachedReading.reading;
  const proposed = task.proposed ?? task.current;
  return task.contacts.map((c) => judge({ ...c, ...reading }, task.current, proposed));
}
