import { type Category, categories } from '../vocabulary.js';
import { withoutSignature } from './signature.js';
import { joinText, prepareText } from './text-match.js';

// A second opinion on the category, learned from labelled contacts (the examples shipped with the product and
// the corrections the partner's people made): a naive Bayes model over the words of a contact. English is read
// as words and pairs of words; Japanese, which has no spaces, as single kanji and pairs of characters. Keyword
// rules know the words someone wrote into them; this model weighs every word it has seen in a labelled contact,
// so it holds better on wording nobody wrote a rule for. Pure: training and weighing touch no database.

/** A labelled contact to learn from. */
export interface Example {
  subject: string;
  text: string;
  category: Category;
}

export interface Weighed {
  category: Category;
  /** The model's probability, 0..1, over the categories it has examples of. */
  p: number;
}

/** Smoothing: how much a word never seen with a category still counts for it. */
const ALPHA = 0.05;
/** The fewest known words and pairs a text needs for an opinion. */
export const MIN_FEATURES = 30;
const word = /[a-z0-9][a-z0-9'-]*/g;
const japanese = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}ー]+/gu;
const kanji = /\p{Script=Han}/u;

/** The text the model reads: subject and body without the signature, prepared as the rules prepare it. */
export function opinionText(subject: string, body: string): string {
  return joinText(prepareText(subject), prepareText(withoutSignature(body))).plain;
}

/** The distinct features of a prepared text; one pass over it per kind. */
export function featuresOf(plain: string): Set<string> {
  const out = new Set<string>();
  let previous: string | null = null;
  for (const m of plain.matchAll(word)) {
    const w = m[0];
    if (w.length > 1) out.add(w);
    if (previous !== null) out.add(`${previous} ${w}`);
    previous = w;
  }
  for (const m of plain.matchAll(japanese)) {
    const run = m[0];
    for (let i = 0; i < run.length; i++) {
      const ch = run[i]!;
      if (kanji.test(ch)) out.add(ch);
      if (i + 1 < run.length) out.add(run.slice(i, i + 2));
    }
  }
  return out;
}

export class LearnedOpinion {
  private constructor(
    /** The categories with at least one example, in the vocabulary's order. */
    private readonly classes: readonly Category[],
    private readonly logPrior: Float64Array,
    /** For each feature seen, log P(feature | category) for each class. */
    private readonly table: Map<string, Float64Array>,
    readonly examples: number,
  ) {}

  static train(examples: Iterable<Example>): LearnedOpinion {
    const counts = new Map<string, Map<Category, number>>();
    const perClass = new Map<Category, { docs: number; features: number }>();
    let n = 0;
    for (const e of examples) {
      n++;
      const c = perClass.get(e.category) ?? { docs: 0, features: 0 };
      c.docs++;
      for (const f of featuresOf(opinionText(e.subject, e.text))) {
        const row = counts.get(f) ?? new Map<Category, number>();
        row.set(e.category, (row.get(e.category) ?? 0) + 1);
        counts.set(f, row);
        c.features++;
      }
      perClass.set(e.category, c);
    }
    const classes = categories.filter((c) => perClass.has(c));
    const logPrior = Float64Array.from(classes, (c) => Math.log(perClass.get(c)!.docs / n));
    const denominators = classes.map((c) => perClass.get(c)!.features + ALPHA * counts.size);
    const table = new Map<string, Float64Array>();
    for (const [f, row] of counts) {
      table.set(
        f,
        Float64Array.from(classes, (c, i) => Math.log(((row.get(c) ?? 0) + ALPHA) / denominators[i]!)),
      );
    }
    return new LearnedOpinion(classes, logPrior, table, n);
  }

  /**
   * The categories from most to least likely for a prepared text (see `opinionText`); none for a text with
   * fewer than MIN_FEATURES words the model knows (a line or two says too little to weigh).
   */
  weigh(plain: string): Weighed[] {
    const score = Float64Array.from(this.logPrior);
    let known = 0;
    for (const f of featuresOf(plain)) {
      const row = this.table.get(f);
      if (!row) continue;
      known++;
      for (let i = 0; i < score.length; i++) score[i]! += row[i]!;
    }
    if (known < MIN_FEATURES) return [];
    const top = Math.max(...score);
    let sum = 0;
    for (const s of score) sum += Math.exp(s - top);
    return this.classes
      .map((category, i) => ({ category, p: Math.exp(score[i]! - top) / sum }))
      .sort((a, b) => b.p - a.p);
  }

  /** The words of the text that speak most for `chosen` over `other` (what the opinion step quotes). */
  wordsFor(plain: string, chosen: Category, other: Category, count = 3): string[] {
    const a = this.classes.indexOf(chosen);
    const b = this.classes.indexOf(other);
    if (a < 0) return [];
    const weights: [string, number][] = [];
    for (const f of featuresOf(plain)) {
      const row = this.table.get(f);
      if (!row) continue;
      const edge = row[a]! - (b < 0 ? row.reduce((x, y) => x + y, 0) / row.length : row[b]!);
      if (edge > 0) weights.push([f, edge]);
    }
    return weights
      .sort((x, y) => y[1] - x[1])
      .slice(0, count)
      .map(([f]) => f);
  }
}
