// The Authentication-Results header field of RFC 8601, read the way receiving servers really write it.
// No maintained npm package exports a reader for it (mailauth keeps its own internal), so this is a small
// one: one forward pass over the value, comments and quoted strings understood, unknown parts skipped.

export interface AuthMethodResult {
  /** Lower case, without a method version: `spf`, `dkim`, `dmarc`, `arc`, `compauth`, ... */
  method: string;
  /** Lower case: `pass`, `fail`, `none`, `softfail`, ... */
  result: string;
  reason: string | null;
  /** `ptype.property` (lower case) to its value, e.g. `header.from` → `contoso.co.jp`. */
  props: Record<string, string>;
  /** Comment text in the result, e.g. `sender IP is 192.0.2.1`; empty when there is none. */
  comment: string;
}

export interface AuthenticationResults {
  /**
   * Lower case. Null when the value starts with a result: Exchange Online writes its header without one,
   * against RFC 8601, so such a header cannot be told apart from one a sender wrote.
   */
  authservId: string | null;
  version: number | null;
  results: AuthMethodResult[];
}

// Longer values are not Authentication-Results a server wrote; reading a prefix keeps the work bounded.
const maxValueLength = 16_384;

class Reader {
  pos = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.pos >= this.s.length;
  }

  peek(): string {
    return this.s[this.pos] ?? '';
  }

  /** Skips white space and comments (which nest and may hold quoted pairs); returns the comment text. */
  skipCfws(): string {
    const comments: string[] = [];
    while (!this.done) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        this.pos++;
      } else if (c === '(') {
        comments.push(this.comment());
      } else {
        break;
      }
    }
    return comments.join(' ');
  }

  private comment(): string {
    let depth = 0;
    let text = '';
    while (!this.done) {
      const c = this.s[this.pos++]!;
      if (c === '\\' && !this.done) {
        text += this.s[this.pos++];
      } else if (c === '(') {
        if (depth++ > 0) text += c;
      } else if (c === ')') {
        if (--depth === 0) break;
        text += c;
      } else {
        text += c;
      }
    }
    return text.replace(/\s+/g, ' ').trim();
  }

  /** A token up to white space or a special; `=` ends it only when `stopAtEquals` (a value may hold `=`). */
  word(stopAtEquals: boolean): string {
    const start = this.pos;
    while (!this.done) {
      const c = this.peek();
      if (/[\s;()"]/.test(c) || (stopAtEquals && c === '=')) break;
      this.pos++;
    }
    return this.s.slice(start, this.pos);
  }

  /** A value: a quoted string (quoted pairs unescaped) or a token. */
  value(): string {
    if (this.peek() !== '"') return this.word(false);
    this.pos++;
    let out = '';
    while (!this.done) {
      const c = this.s[this.pos++]!;
      if (c === '\\' && !this.done) out += this.s[this.pos++];
      else if (c === '"') break;
      else out += c;
    }
    return out;
  }

  /** Moves past whatever cannot start a part, so that every turn of a loop makes progress. */
  skipOne(): void {
    this.pos++;
  }
}

/** One `;`-separated result: `method[/version]=result [reason=...] [ptype.property=value ...]`. */
function readResult(r: Reader): AuthMethodResult | null {
  let found: AuthMethodResult | null = null;
  const comments: string[] = [];
  for (;;) {
    const comment = r.skipCfws();
    if (comment) comments.push(comment);
    if (r.done || r.peek() === ';') break;
    const key = r.word(true).toLowerCase();
    if (!key) {
      r.skipOne();
      continue;
    }
    const between = r.skipCfws();
    if (between) comments.push(between);
    if (r.peek() !== '=') continue; // a bare word (`none`, or junk): nothing to record
    r.skipOne();
    const after = r.skipCfws();
    if (after) comments.push(after);
    const value = r.value();
    if (!found) {
      found = {
        method: key.replace(/\/.*$/, ''),
        result: value.toLowerCase(),
        reason: null,
        props: {},
        comment: '',
      };
    } else if (key === 'reason') {
      found.reason = value;
    } else if (!(key in found.props)) {
      found.props[key] = value;
    }
  }
  if (found) found.comment = comments.join(' ');
  return found;
}

/** Reads one Authentication-Results value (the part after the colon, unfolded or not). */
export function parseAuthenticationResults(raw: string): AuthenticationResults {
  const r = new Reader(raw.slice(0, maxValueLength));
  const out: AuthenticationResults = { authservId: null, version: null, results: [] };
  r.skipCfws();
  const start = r.pos;
  const first = r.peek() === '"' ? r.value() : r.word(true);
  r.skipCfws();
  if (r.peek() === '=') {
    // No authserv-id: the value starts with the first result (Exchange Online's form).
    r.pos = start;
  } else {
    out.authservId = first.toLowerCase() || null;
    if (/\d/.test(r.peek())) {
      const version = r.word(true);
      if (/^\d{1,9}$/.test(version)) out.version = Number(version);
      r.skipCfws();
    }
    // Whatever else stands before the first `;` is not part of the grammar; skip to the results.
    while (!r.done && r.peek() !== ';') {
      if (!r.skipCfws() && !r.done && r.peek() !== ';') {
        if (r.peek() === '"') r.value();
        else if (!r.word(false)) r.skipOne();
      }
    }
  }
  while (!r.done) {
    if (r.peek() === ';') r.skipOne();
    const result = readResult(r);
    if (result) out.results.push(result);
  }
  return out;
}
