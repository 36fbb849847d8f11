import { describe, expect, it } from 'vitest';
import { headerSafe, safeMessageId } from '../../src/channels/email/header-safe.js';

// fast-check is not installed: generated inputs come from a seeded PRNG (mulberry32), so a failure reproduces.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const c0 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i));
const c1 = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i));
const alphabet = [
  ...c0,
  '\u007f',
  ...c1,
  '\u2028',
  '\u2029',
  ' ',
  ' ',
  '\t',
  '\u00a0',
  '\u3000',
  'a',
  'Z',
  '0',
  '<',
  '>',
  '@',
  '.',
  ':',
  ';',
  '=',
  '?',
  '"',
  'é',
  '件',
  '名',
  '…',
  '😀',
  'Bcc: evil@example.test',
  '\r\nBcc: evil@example.test',
  '=?UTF-8?B?DQpCY2M6?=',
];

function generated(seed: number, count: number, maxParts: number): string[] {
  const rnd = mulberry32(seed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const parts = Math.floor(rnd() * maxParts);
    let s = '';
    for (let i = 0; i < parts; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    out.push(s);
  }
  return out;
}

/** Every C0 and C1 control character (Unicode general category Cc) and the Unicode line/paragraph separators. */
const forbidden = /[\p{Cc}\u2028\u2029]/u;
const crlf = /[\r\n]/;

/** A generated input in readable form: JSON.stringify leaves C1 controls and U+2028/U+2029 unescaped. */
const show = (s: string) => s.replace(/[^\x20-\x7e]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);

describe('headerSafe', () => {
  it('turns CR/LF into a single space, so nothing can start a new header', () => {
    expect(headerSafe('Login fails\r\nBcc: evil@example.test')).toBe('Login fails Bcc: evil@example.test');
    expect(headerSafe('a\rb\nc')).toBe('a b c');
  });

  it('replaces every C0 control, DEL and U+2028/U+2029 with a space', () => {
    for (const ch of [...c0, '\u007f', '\u2028', '\u2029']) {
      expect(headerSafe(`a${ch}b`), `U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).toBe('a b');
    }
  });

  // Regression (fixed): only U+0000-U+001F and U+007F are replaced; C1 controls (U+0080-U+009F, including NEL
  // U+0085, a line break for Unicode-aware parsers) pass through.
  it('does not let C1 control characters through (e.g. NEL U+0085)', () => {
    expect(headerSafe('Login fails\u0085Bcc: evil@example.test')).toBe('Login fails Bcc: evil@example.test');
    expect(headerSafe('a\u009bb')).toBe('a b');
  });

  it('squeezes runs of whitespace and trims the ends', () => {
    expect(headerSafe('  [Case #1042]   Re:\t\t Login  ')).toBe('[Case #1042] Re: Login');
    expect(headerSafe('\u0000\u0001x\u0002\u0003')).toBe('x');
  });

  it('leaves an ordinary subject untouched', () => {
    expect(headerSafe('[Case #1042] お問い合わせを受け付けました: Login fails')).toBe(
      '[Case #1042] お問い合わせを受け付けました: Login fails',
    );
  });

  it('cuts a long value to maxLength characters, ending with an ellipsis', () => {
    const out = headerSafe('x'.repeat(1000));
    expect(out).toHaveLength(900);
    expect(out).toBe(`${'x'.repeat(899)}…`);
  });

  it('honours a custom maxLength and keeps a value of exactly maxLength', () => {
    expect(headerSafe('abcdefghij', 5)).toBe('abcd…');
    expect(headerSafe('abcde', 5)).toBe('abcde');
    expect(headerSafe('abcdef', 5)).toBe('abcd…');
  });

  it('measures the length after cleaning, not before', () => {
    // 6 characters of which 2 are a CR LF pair that collapses into one space: "ab cd" is 5 long.
    expect(headerSafe('ab\r\ncd', 5)).toBe('ab cd');
  });

  it('holds its invariants for 5,000 generated hostile strings (seeded PRNG)', () => {
    for (const input of generated(0x5eed1, 5000, 40)) {
      const out = headerSafe(input);
      const shown = show(input);
      expect(crlf.test(out), shown).toBe(false);
      expect(forbidden.test(out), shown).toBe(false);
      expect(out.length, shown).toBeLessThanOrEqual(900);
      expect(out, shown).toBe(out.trim());
      expect(/\s{2}/.test(out), shown).toBe(false);
      expect(headerSafe(out), shown).toBe(out);
    }
  });

  it('cuts generated long strings to the limit without letting CR/LF through (seeded PRNG)', () => {
    for (const input of generated(0xc0ffee, 300, 600)) {
      const out = headerSafe(input, 64);
      const shown = show(input);
      expect(out.length, shown).toBeLessThanOrEqual(64);
      expect(crlf.test(out), shown).toBe(false);
    }
  });
});

describe('safeMessageId', () => {
  it('keeps one well-formed <id>', () => {
    expect(safeMessageId('<CAB1234.5678@mail.gmail.example>')).toBe('<CAB1234.5678@mail.gmail.example>');
  });

  it('extracts the first <id> from surrounding text or from a list', () => {
    expect(safeMessageId('  <a1@fabrikam.example>  ')).toBe('<a1@fabrikam.example>');
    expect(safeMessageId('(comment) <a1@fabrikam.example> trailing')).toBe('<a1@fabrikam.example>');
    expect(safeMessageId('<a1@x.example> <b2@x.example>')).toBe('<a1@x.example>');
  });

  it('skips a broken <...> and takes the next good one', () => {
    expect(safeMessageId('<bad id@x> <good@x.example>')).toBe('<good@x.example>');
  });

  it.each([
    [null],
    [undefined],
    [''],
    ['a1@fabrikam.example'],
    ['<>'],
    ['< >'],
    ['<a b@x.example>'],
    ['<a1@x.example\r\nBcc: evil@example.test>'],
    ['<a\tb@x>'],
    ['<<>>'],
    ['<unterminated@x.example'],
  ])('rejects %j', (value) => {
    expect(safeMessageId(value)).toBe(null);
  });

  it('accepts an id of 250 characters between the brackets and rejects 251', () => {
    const id250 = `${'a'.repeat(240)}@x.example`;
    expect(id250).toHaveLength(250);
    expect(safeMessageId(`<${id250}>`)).toBe(`<${id250}>`);
    expect(safeMessageId(`<a${id250}>`)).toBe(null);
  });

  // Regression (fixed): the token class [^<>\s] excludes whitespace but not other control characters, and the
  // result goes to Message-ID/In-Reply-To/References (and to Postgres, which rejects U+0000) without headerSafe.
  it('rejects an id containing a control character (NUL, BEL, ESC, DEL, NEL)', () => {
    for (const ch of ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085']) {
      expect(safeMessageId(`<abc${ch}def@evil.example>`), show(ch)).toBe(null);
    }
  });

  it('returns null or exactly one clean <token> for 5,000 generated strings (seeded PRNG)', () => {
    for (const input of generated(0x1d5eed, 5000, 30)) {
      const out = safeMessageId(input);
      if (out === null) continue;
      const shown = show(input);
      expect(out, shown).toMatch(/^<[^<>\s]{1,250}>$/);
      expect(forbidden.test(out), shown).toBe(false);
      expect(input.includes(out), shown).toBe(true);
    }
  });
});
