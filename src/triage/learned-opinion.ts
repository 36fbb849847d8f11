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

/** Whether a UTF-16 unit is a kanji (the Han script in the basic plane), without a regular expression. */
function isKanji(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0xf900 && code <= 0xfa6d) ||
    (code >= 0xfa70 && code <= 0xfad9) ||
    (code >= 0x2e80 && code <= 0x2e99) ||
    (code >= 0x2e9b && code <= 0x2ef3) ||
    (code >= 0x2f00 && code <= 0x2fd5) ||
    code === 0x3005 ||
    code === 0x3007 ||
    (code >= 0x3021 && code <= 0x3029) ||
    (code >= 0x3038 && code <= 0x303b)
  );
}

/** The text the model reads: subject and body without the signature, prepared as the rules prepare it. */
export function opinionText(subject: string, body: string): string {
  return joinText(prepareText(subject), prepareText(withoutSignature(body))).plain;
}

/**
 * A feature, as a small integer wherever it can be, so it is looked up without making a string: a kanji as
 * minus its code; a pair of Japanese characters as the two codes packed, each moved into 0..PACK; English
 * words and pairs of words as numbered by the Vocabulary below. A Japanese pair with a rarer character, or an
 * English pair with a word numbered past WORDS, stays text.
 */
type Feature = string | number;

const PACK = 0x7400;
/** 0x2E00-0x9FFF (kana, CJK symbols, kanji) and 0xF900-0xFAFF (compatibility kanji) into 0..PACK, else -1. */
const packed = (c: number) =>
  c >= 0x2e00 && c < 0xa000 ? c - 0x2e00 : c >= 0xf900 && c < 0xfb00 ? c - 0xf900 + 0x7200 : -1;
const unpacked = (p: number) => (p >= 0x7200 ? p - 0x7200 + 0xf900 : p + 0x2e00);

/**
 * The English words a model has seen, numbered, so that words are integers too: a word SINGLE + its
 * number, a pair -(0x10000 + first * WORDS + second) (below every kanji's -code); a pair with a word
 * numbered past WORDS stays text.
 */
const WORDS = 0x7f00;
/** A single word is SINGLE + its number, above every Japanese pair (all stay small integers). */
const SINGLE = PACK * PACK;

class Vocabulary {
  private readonly ids = new Map<string, number>();

  constructor(private readonly list: string[] = []) {
    for (const [i, w] of list.entries()) this.ids.set(w, i);
  }

  /** The words in the order numbered (what `new Vocabulary(words)` numbers alike). */
  get words(): readonly string[] {
    return this.list;
  }

  /** The word's number; a new word gets one only when `grow`. */
  idOf(w: string, grow: boolean): number | undefined {
    let id = this.ids.get(w);
    if (id === undefined && grow) {
      id = this.list.length;
      this.ids.set(w, id);
      this.list.push(w);
    }
    return id;
  }

  text(f: Feature): string {
    if (typeof f === 'string') return f;
    if (f >= SINGLE) return this.list[f - SINGLE]!;
    if (f >= 0) return String.fromCharCode(unpacked(Math.floor(f / PACK)), unpacked(f % PACK));
    if (f > -0x10000) return String.fromCharCode(-f);
    const pair = -f - 0x10000;
    return `${this.list[Math.floor(pair / WORDS)]} ${this.list[pair % WORDS]}`;
  }
}

/**
 * Calls `fn` with each feature of a prepared text (a feature may come more than once); one pass per kind.
 * A pair of words with a word the vocabulary does not know is left out unless it `grow`s (it cannot be known).
 */
function eachFeature(plain: string, words: Vocabulary, grow: boolean, fn: (feature: Feature) => void): void {
  let previous: number | undefined;
  let previousWord = '';
  for (const m of plain.matchAll(word)) {
    const w = m[0];
    const id = words.idOf(w, grow);
    if (w.length > 1 && id !== undefined) fn(SINGLE + id);
    if (previous !== undefined && id !== undefined) {
      fn(previous < WORDS && id < WORDS ? -(0x10000 + previous * WORDS + id) : `${previousWord} ${w}`);
    }
    previous = id;
    previousWord = w;
  }
  for (const m of plain.matchAll(japanese)) {
    const run = m[0];
    for (let i = 0; i < run.length; i++) {
      const code = run.charCodeAt(i);
      if (isKanji(code)) fn(-code);
      if (i + 1 >= run.length) continue;
      const a = packed(code);
      const b = packed(run.charCodeAt(i + 1));
      fn(a >= 0 && b >= 0 ? a * PACK + b : run.slice(i, i + 2));
    }
  }
}

function distinctFeatures(plain: string, words: Vocabulary, grow: boolean): Set<Feature> {
  const out = new Set<Feature>();
  eachFeature(plain, words, grow, (f) => out.add(f));
  return out;
}

/** The distinct features of a prepared text, as text. */
export function featuresOf(plain: string): Set<string> {
  const words = new Vocabulary();
  return new Set([...distinctFeatures(plain, words, true)].map((f) => words.text(f)));
}

/**
 * Feature -> row: text in a Map, the Japanese integers in an open-addressing table of typed arrays (no
 * boxing, no string hashing; weighing looks up every feature of every text).
 */
/** A well-mixed 32-bit hash of an integer feature. */
function slot(f: number): number {
  let h = Math.imul(f ^ (f >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A FeatureIndex as plain data (maps and typed arrays), for another thread. */
interface IndexParts {
  words: Map<string, number>;
  keys: Int32Array;
  rows: Int32Array;
  codes: number;
}

class FeatureIndex {
  private readonly words: Map<string, number>;
  private keys: Int32Array;
  private rows: Int32Array;
  private codes: number;

  constructor(parts?: IndexParts) {
    this.words = parts?.words ?? new Map();
    this.keys = parts?.keys ?? new Int32Array(1 << 12).fill(-1);
    this.rows = parts?.rows ?? new Int32Array(1 << 12);
    this.codes = parts?.codes ?? 0;
  }

  get parts(): IndexParts {
    return { words: this.words, keys: this.keys, rows: this.rows, codes: this.codes };
  }

  get size(): number {
    return this.words.size + this.codes;
  }

  get(f: Feature): number | undefined {
    if (typeof f === 'string') return this.words.get(f);
    const mask = this.keys.length - 1;
    for (let at = slot(f) & mask; ; at = (at + 1) & mask) {
      const key = this.keys[at]!;
      if (key === f) return this.rows[at];
      if (key === -1) return undefined;
    }
  }

  /** Adds a feature not yet in the index, as the next row. */
  add(f: Feature): number {
    const row = this.size;
    if (typeof f === 'string') this.words.set(f, row);
    else {
      if ((this.codes + 1) * 2 > this.keys.length) this.grow();
      this.put(f, row);
      this.codes++;
    }
    return row;
  }

  private put(f: number, row: number) {
    const mask = this.keys.length - 1;
    let at = slot(f) & mask;
    while (this.keys[at] !== -1) at = (at + 1) & mask;
    this.keys[at] = f;
    this.rows[at] = row;
  }

  private grow() {
    const { keys, rows } = this;
    this.keys = new Int32Array(keys.length * 2).fill(-1);
    this.rows = new Int32Array(keys.length * 2);
    keys.forEach((k, i) => {
      if (k !== -1) this.put(k, rows[i]!);
    });
  }
}

export interface OpinionParts {
  classes: readonly Category[];
  logPrior: Float64Array;
  index: IndexParts;
  logs: Float64Array;
  examples: number;
  words: readonly string[];
}

export class LearnedOpinion {
  /** Per feature, the number of the last weighing that counted it (so each counts once a text). */
  private readonly seen: Uint32Array;
  private weighing = 0;

  private constructor(
    /** The categories with at least one example, in the vocabulary's order. */
    private readonly classes: readonly Category[],
    private readonly logPrior: Float64Array,
    /** Each feature seen in an example, with its row in `logs`. */
    private readonly index: FeatureIndex,
    /** Row by row, log P(feature | category) for each class. */
    private readonly logs: Float64Array,
    readonly examples: number,
    private readonly words: Vocabulary,
  ) {
    this.seen = new Uint32Array(index.size);
  }

  /** The model as plain data (what structured clone carries to a dry-run thread). */
  get parts(): OpinionParts {
    const { classes, logPrior, logs, examples } = this;
    return { classes, logPrior, index: this.index.parts, logs, examples, words: this.words.words };
  }

  /** The model `parts` came from, weighing alike. */
  static fromParts(p: OpinionParts): LearnedOpinion {
    return new LearnedOpinion(
      p.classes,
      p.logPrior,
      new FeatureIndex(p.index),
      p.logs,
      p.examples,
      new Vocabulary([...p.words]),
    );
  }

  static train(examples: Iterable<Example>): LearnedOpinion {
    const words = new Vocabulary();
    const counts = new Map<Feature, Map<Category, number>>();
    const perClass = new Map<Category, { docs: number; features: number }>();
    let n = 0;
    for (const e of examples) {
      n++;
      const c = perClass.get(e.category) ?? { docs: 0, features: 0 };
      c.docs++;
      for (const f of distinctFeatures(opinionText(e.subject, e.text), words, true)) {
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
    const index = new FeatureIndex();
    const logs = new Float64Array(counts.size * classes.length);
    for (const [f, row] of counts) {
      const at = index.add(f);
      classes.forEach((c, i) => {
        logs[at * classes.length + i] = Math.log(((row.get(c) ?? 0) + ALPHA) / denominators[i]!);
      });
    }
    return new LearnedOpinion(classes, logPrior, index, logs, n, words);
  }

  /**
   * The categories from most to least likely for a prepared text (see `opinionText`); none for a text with
   * fewer than MIN_FEATURES words the model knows (a line or two says too little to weigh).
   */
  weigh(plain: string): Weighed[] {
    const score = Float64Array.from(this.logPrior);
    const width = score.length;
    const mark = this.nextWeighing();
    let known = 0;
    eachFeature(plain, this.words, false, (f) => {
      const at = this.index.get(f);
      if (at === undefined || this.seen[at] === mark) return;
      this.seen[at] = mark;
      known++;
      for (let i = 0; i < width; i++) score[i]! += this.logs[at * width + i]!;
    });
    if (known < MIN_FEATURES) return [];
    const top = Math.max(...score);
    let sum = 0;
    for (const s of score) sum += Math.exp(s - top);
    return this.classes
      .map((category, i) => ({ category, p: Math.exp(score[i]! - top) / sum }))
      .sort((a, b) => b.p - a.p);
  }

  private nextWeighing(): number {
    if (this.weighing === 0xffffffff) {
      this.seen.fill(0);
      this.weighing = 0;
    }
    return ++this.weighing;
  }

  /** The words of the text that speak most for `chosen` over `other` (what the opinion step quotes). */
  wordsFor(plain: string, chosen: Category, other: Category, count = 3): string[] {
    const width = this.classes.length;
    const a = this.classes.indexOf(chosen);
    const b = this.classes.indexOf(other);
    if (a < 0) return [];
    const mark = this.nextWeighing();
    const best: { f: Feature; edge: number }[] = [];
    eachFeature(plain, this.words, false, (f) => {
      const at = this.index.get(f);
      if (at === undefined || this.seen[at] === mark) return;
      this.seen[at] = mark;
      const row = at * width;
      let against = 0;
      if (b >= 0) against = this.logs[row + b]!;
      else for (let i = 0; i < width; i++) against += this.logs[row + i]! / width;
      const edge = this.logs[row + a]! - against;
      if (edge <= 0 || (best.length === count && edge <= best[count - 1]!.edge)) return;
      best.splice(best.findIndex((x) => x.edge < edge) >>> 0, 0, { f, edge });
      if (best.length > count) best.pop();
    });
    // A character beyond the basic plane is read as two halves: a feature with a half is not quoted.
    return best.map((x) => this.words.text(x.f)).filter((w) => !/[\ud800-\udfff]/.test(w));
  }
}
