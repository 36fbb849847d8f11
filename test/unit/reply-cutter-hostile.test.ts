import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutReply, firstCutLine, ownTextStart } from '../../src/channels/email/reply-cutter.js';

// Hostile bodies: deep quotes, endless lines, thousands of "> " lines, text and quote alternating, CR-only
// line ends, and lines built to make a backtracking pattern work hard.
const word = fc.stringMatching(/^[A-Za-z0-9あ-ん]{1,12}$/);
const textLine = fc.array(word, { minLength: 1, maxLength: 12 }).map((w) => w.join(' '));
const quoteLine = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.option(textLine, { nil: '' }))
  .map(([depth, t]) => `${'> '.repeat(depth)}${t}`);
const longLine = fc
  .tuple(
    fc.constantFrom('a ', '> ', '1:11<a>', '@', '~', ' ', 'On x '),
    fc.integer({ min: 500, max: 20_000 }),
  )
  .map(([unit, n]) => unit.repeat(n));
const trickyLine = fc.constantFrom(
  '-- ',
  '',
  '   ',
  'Regards,',
  'On Tue, Nov 24, 2026 at 3:41 PM Desk <',
  'desk@example.test> wrote:',
  '2026/11/25 10:00 山田さん wrote:',
  'From: Desk <desk@example.test>',
  'Sent: Monday',
  '-----Original Message-----',
);
const line = fc.oneof(
  { weight: 4, arbitrary: textLine },
  { weight: 4, arbitrary: quoteLine },
  { weight: 1, arbitrary: longLine },
  { weight: 2, arbitrary: trickyLine },
);
const lineEnd = fc.constantFrom('\n', '\r\n', '\r');
const body = fc
  .tuple(fc.array(line, { minLength: 0, maxLength: 400 }), lineEnd)
  .map(([lines, end]) => lines.join(end));
const alternating = fc
  .tuple(textLine, quoteLine, fc.integer({ min: 1, max: 2000 }))
  .map(([t, q, n]) => Array.from({ length: n }, (_, i) => (i % 2 ? q : t)).join('\n'));
// A bottom-posted reply: a long run of quoted lines first, the customer's words under it.
const quotedFirst = fc
  .tuple(fc.array(quoteLine, { minLength: 1, maxLength: 3000 }), fc.array(line, { maxLength: 50 }))
  .map(([quotes, rest]) => [...quotes, ...rest].join('\n'));
const hostile = fc.oneof(body, alternating, quotedFirst);

/** The lines, wrapped so that every read of one line is counted. */
function counted(lines: string[]): { source: string[]; reads: () => number } {
  let reads = 0;
  const source = new Proxy(lines, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { source, reads: () => reads };
}

const splitLines = (text: string) => text.replace(/\r\n?/g, '\n').split('\n');

describe('cutReply on hostile bodies', () => {
  it('never throws, keeps something when there is text, and returns only lines of the input, in order', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const out = cutReply(text);
        if (text.trim()) expect(out.trim()).not.toBe('');
        const input = splitLines(text).map((l) => l.trim());
        let at = 0;
        for (const l of out.split('\n')) {
          if (!l.trim()) continue;
          while (at < input.length && input[at] !== l.trim()) at++;
          expect(at, `output line not in the input (in order): ${l.slice(0, 80)}`).toBeLessThan(input.length);
          at++;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reads each line a bounded number of times, whatever the body', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const lines = splitLines(text);
        const { source, reads } = counted(lines);
        firstCutLine(source, ownTextStart(source));
        // Each line: once for the start, once as itself, once as the next line's look-ahead, three more for
        // a header block; a rescan of earlier lines would grow with the square of the count.
        expect(reads()).toBeLessThanOrEqual(6 * lines.length + 6);
      }),
      { numRuns: 150 },
    );
  });

  it('cuts 200 KB of "> " lines under one line of text (each line read a bounded number of times)', () => {
    const lines = ['Please see below.', ...Array.from({ length: 40_000 }, () => '>>>>')];
    const { source, reads } = counted(lines);
    expect(firstCutLine(source)).toBe(1);
    expect(reads()).toBeLessThan(10);
    const opening = counted([...Array.from({ length: 40_000 }, () => '> > > >'), 'My answer.']);
    expect(firstCutLine(opening.source, ownTextStart(opening.source))).toBe(-1);
    expect(opening.reads()).toBeLessThanOrEqual(6 * 40_001);
    const quoteAfterOwnText = ['x', '', ...Array.from({ length: 50_000 }, () => '> ')];
    const cutAtEnd = ['text', ...Array.from({ length: 50_000 }, () => 'more text'), '> q'];
    const second = counted(cutAtEnd);
    expect(firstCutLine(second.source)).toBe(cutAtEnd.length - 1);
    expect(second.reads()).toBeLessThanOrEqual(6 * cutAtEnd.length);
    expect(cutReply(quoteAfterOwnText.join('\n'))).toBe('x');
  });

  it('cuts a 200 KB body of quote lines that opens the mail, with own text at the end', () => {
    const text = `${'> > > > quoted\n'.repeat(14_000)}\nMy answer.`;
    expect(cutReply(text)).toBe('My answer.');
  });
});
