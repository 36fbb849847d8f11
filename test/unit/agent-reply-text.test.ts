import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { type AddressObject, simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { htmlQuoteStart } from '../../src/agents/agent-reply-html.js';
import { agentAnswerLines, agentQuoteStart, agentReplyText } from '../../src/agents/agent-reply-text.js';
import { hiddenReplyMarker, visibleReplyMarker } from '../../src/agents/reply-marker.js';

const dir = new URL('../fixtures/agent-replies/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => f.slice(0, -'.eml'.length))
  .sort();

function firstAddress(field: AddressObject | AddressObject[] | undefined): { name: string; email: string } {
  const a = (Array.isArray(field) ? field[0] : field)?.value[0];
  return { name: a?.name ?? '', email: a?.address ?? '' };
}

describe('agentReplyText: real agent replies', () => {
  it('has at least 24 fixtures, each with its expected text', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(24);
    for (const f of fixtures) expect(existsSync(new URL(`${f}.expected.txt`, dir)), f).toBe(true);
  });

  for (const f of fixtures) {
    it(f, async () => {
      const parsed = await simpleParser(readFileSync(new URL(`${f}.eml`, dir)), {
        skipImageLinks: true,
        skipTextLinks: true,
      });
      const reply = agentReplyText({
        text: parsed.text ?? null,
        html: typeof parsed.html === 'string' ? parsed.html : null,
        agent: firstAddress(parsed.from),
      });
      const expected = readFileSync(new URL(`${f}.expected.txt`, dir), 'utf8').replace(/\n$/, '');
      expect(reply.text).toBe(expected);
      const json = new URL(`${f}.expected.json`, dir);
      if (existsSync(json)) {
        expect(reply.keptCids).toEqual(JSON.parse(readFileSync(json, 'utf8')).keptCids);
      }
    });
  }
});

const lines = (...l: string[]) => l.join('\n');
const text = (t: string, name?: string) =>
  agentReplyText({ text: t, html: null, agent: name ? { name, email: 'agent@partner.example' } : undefined })
    .text;

describe('agentReplyText: text rules', () => {
  it('keeps commands on the first lines, one or several', () => {
    expect(text(lines('#note', 'Called the customer.', '', visibleReplyMarker, '', 'Hello'))).toBe(
      '#note\nCalled the customer.',
    );
    const several = lines(
      '#status resolved',
      '#priority high',
      '#assign misaki.sasaki@partner.example',
      '#handover microsoft 2512010040001234',
      '',
      'Fixed.',
      '',
      'On Tue, Dec 1, 2026 at 10:00 AM Support <support@partner.example> wrote:',
      `> ${visibleReplyMarker}`,
    );
    expect(text(several)).toBe(several.split('\n\nOn Tue')[0]);
  });

  it('gives an empty answer when there is nothing but quote', () => {
    expect(text(lines(visibleReplyMarker, '', 'Hello Emily,', '#note  internal note'))).toBe('');
    expect(text(lines('', `> ${visibleReplyMarker}`, '>', '> Hello'))).toBe('');
    expect(
      text(lines('On Tue, Dec 1, 2026 at 10:00 AM Support <support@partner.example> wrote:', '> x')),
    ).toBe('');
    expect(agentReplyText({ text: null, html: null })).toEqual({ text: '', keptCids: null });
    expect(
      agentReplyText({
        text: null,
        html: `<div style="display:none">${hiddenReplyMarker}</div><p>Hello</p>`,
      }),
    ).toEqual({ text: '', keptCids: [] });
  });

  it('cuts at the marker quoted as "> ##- …", with the unknown attribution above it', () => {
    const reply = lines(
      'Done, the licenses are assigned.',
      '',
      'Support <support@partner.example> 於 2026年12月1日 週二 寫道：',
      '',
      `> ${visibleReplyMarker}`,
      '>',
      '> Hello',
    );
    expect(text(reply)).toBe('Done, the licenses are assigned.');
    expect(text(lines('OK.', `>> ${visibleReplyMarker}`))).toBe('OK.');
    expect(text(lines('OK.', '', `  > ${hiddenReplyMarker}`))).toBe('OK.');
  });

  it('keeps a prose line starting "From:" that no header lines follow', () => {
    const prose = lines(
      'Hi Mark,',
      '',
      'From: the Teams admin center, open Voice > Phone numbers.',
      'To: see the details, click the order.',
      '',
      'Subject to approval, the port runs on Thursday.',
    );
    expect(text(prose)).toBe(prose);
    expect(text(lines('From: the portal I see error 500.', 'Please retry.'))).toBe(
      'From: the portal I see error 500.\nPlease retry.',
    );
  });

  it('cuts a real header block (From/Sent/To/Subject, en and ja) and the separator above it', () => {
    const en = lines(
      'Fixed.',
      '',
      'From: Mark Jensen <support@partner.example>',
      'Sent: Tuesday, December 1, 2026 10:02 AM',
      'To: Emily Carter <emily.carter@partner.example>',
      'Subject: [Case #1057] Porting',
    );
    expect(text(en)).toBe('Fixed.');
    const ja = lines(
      '対応しました。',
      '________________________________',
      '差出人: 佐藤 花子 <support@partner.example>',
      '送信日時: 2026年12月1日 10:02',
      '宛先: 山田 太郎 <taro.yamada@partner.example>',
      '件名: [Case #1042] サインインできません',
    );
    expect(text(ja)).toBe('対応しました。');
  });

  it('keeps a single ">" line between the agent\'s own lines, cuts a run of them', () => {
    expect(text(lines('Look:', '> Note: it takes a day.', 'Thanks'))).toBe(
      'Look:\n> Note: it takes a day.\nThanks',
    );
    expect(text(lines('Look:', '> one', '>', '> two'))).toBe('Look:');
    expect(text(lines('Look:', '', '> only line'))).toBe('Look:');
  });

  it('cuts signatures: "-- ", decoration lines, mobile footers, a sign-off over a signature', () => {
    expect(text(lines('Done.', '-- ', 'Tom'))).toBe('Done.');
    expect(text(lines('対応しました。', '', '＝＝＝＝＝＝＝＝', '山田', 'TEL 03-5555-0101'))).toBe(
      '対応しました。',
    );
    expect(text(lines('対応しました。', '* * * * *', 'パートナー株式会社'))).toBe('対応しました。');
    expect(text(lines('Done.', '', 'Sent from my iPhone'))).toBe('Done.');
    expect(text(lines('対応しました。', '', 'iPhoneから送信'))).toBe('対応しました。');
    expect(text(lines('Done.', '', 'Get Outlook for Android'))).toBe('Done.');
    expect(text(lines('Done.', '', 'Best regards,', 'Alex'))).toBe('Done.');
    expect(text(lines('Done.', '', 'Best regards,', 'Alex Chen', 'Partner Support', '+81 3 5555 0100'))).toBe(
      'Done.',
    );
  });

  it('keeps closing words that belong to the message', () => {
    expect(text(lines('対応しました。', '', 'よろしくお願いいたします。'), '山田 太郎')).toBe(
      '対応しました。\n\nよろしくお願いいたします。',
    );
    expect(text(lines('対応しました。', 'よろしくお願いいたします。', '山田'), '山田 太郎')).toBe(
      '対応しました。\nよろしくお願いいたします。\n山田',
    );
    // "Best regards," with more message under it is not a sign-off.
    const more = lines('Done.', '', 'Best regards,', '', 'P.S. The reboot is scheduled for Friday at 22:00.');
    expect(text(more)).toBe(more);
    expect(text(lines('Done.', '', 'Best regards,'))).toBe('Done.\n\nBest regards,');
  });

  it("cuts a signature that starts with the agent's name, written either way round or without spaces", () => {
    const sig = ['よろしくお願いいたします。', '', '山田太郎', 'パートナー株式会社', 'TEL: 03-5555-0101'];
    expect(text(lines('対応しました。', ...sig), '山田 太郎')).toBe(
      '対応しました。\nよろしくお願いいたします。',
    );
    expect(text(lines('Done.', '', 'Yamada Taro | Partner Support', '+81 3 5555 0101'), 'Taro Yamada')).toBe(
      'Done.',
    );
    // The same lines without the agent's name (or without contact details) stay.
    expect(text(lines('Done.', '', 'Yamada Taro', 'Partner Support'), 'Emily Carter')).toContain(
      'Yamada Taro',
    );
    expect(text(lines('Done.', '', 'Taro Yamada'), 'Taro Yamada')).toBe('Done.\n\nTaro Yamada');
  });

  it('takes the words written under the quote when nothing is above it (s-nail, Thunderbird by default)', () => {
    const quote = [
      'Sam Patel <support@partner.example> wrote:',
      '',
      `> ${visibleReplyMarker}`,
      '> ',
      '> Hello',
    ];
    expect(text(lines(...quote, 'Done.', '', '-- ', 'Tom'))).toBe('Done.');
    expect(text(lines(...quote, '', 'Done.', '', '> more quote', '> here', 'x'))).toBe('Done.');
    // mailx and s-nail quote with a tab unless told otherwise.
    const tabbed = [
      'Sam Patel <support@partner.example> wrote:',
      '',
      `\t${visibleReplyMarker}`,
      '\t',
      '\tHello',
    ];
    expect(text(lines(...tabbed, 'Done.', 'Really.'))).toBe('Done.\nReally.');
    // Under a quote that is not the notification's (no marker), nothing is taken.
    expect(text(lines('X <x@y.example> wrote:', '> Hello', '> there', 'Done.'))).toBe('');
    expect(text(lines(...quote))).toBe('');
  });

  it('keeps a decoration line that is not followed by a signature', () => {
    const steps = lines('手順は次のとおりです。', '-----', '1. 管理センターを開きます', '2. 保存を押します');
    expect(text(steps, '山田 太郎')).toBe(steps);
    expect(text(lines('Done.', '', '----------'))).toBe('Done.');
  });

  it('matches a Latin name as whole words, not inside other words', () => {
    const custom = lines('Done.', '', 'Custom domain: proseware.example', 'Support ticket 42');
    expect(text(custom, 'Tom Nguyen')).toBe(custom);
    expect(text(lines('Done.', '', 'Tom', 'Security Operations | +81 3 5555 0188'), 'Tom Nguyen')).toBe(
      'Done.',
    );
  });

  it('normalises line ends, trailing spaces and runs of blank lines', () => {
    expect(text('First.  \r\n\r\n\r\n\r\nSecond.\rThird.\t\r\n')).toBe('First.\n\nSecond.\nThird.');
  });

  it('removes Outlook\'s "[cid:…]" placeholders from a text part', () => {
    expect(text(lines('See:', '[cid:image001.png@01DD6A1B.5E2F3A40]', 'Done.'))).toBe('See:\n\nDone.');
  });
});

describe('agentReplyText: HTML', () => {
  const html = (body: string) => `<html><body>${body}</body></html>`;
  const read = (h: string, t: string | null = null) => agentReplyText({ text: t, html: h });

  it.each([
    ['Outlook on the web', '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg">From: x</div>'],
    [
      'Gmail',
      '<div class="gmail_quote gmail_quote_container"><div class="gmail_attr">On x wrote:</div></div>',
    ],
    ['Apple Mail', '<blockquote type="cite"><div>On x, Support wrote:</div></blockquote>'],
    ['Thunderbird', '<div class="moz-cite-prefix">On 12/1/26, Support wrote:<br></div>'],
    ['Yahoo', '<div id="yahoo_quoted_123" class="yahoo_quoted"><div>On Tuesday…</div></div>'],
    [
      'Outlook desktop',
      '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in"><p class="MsoNormal"><b><span>From:</span></b> Support</p></div>',
    ],
    [
      'Outlook desktop (ja)',
      "<div style='border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0mm 0mm 0mm'><p class=MsoNormal><b>差出人<span lang=EN-US>:</span></b> Support</p></div>",
    ],
    ['the hidden marker', `<div style="display:none">${hiddenReplyMarker}</div><p>Hello Emily</p>`],
  ])('cuts at the quote container of %s', (_client, quote) => {
    expect(read(html(`<div>Answer here.</div>${quote}<div>quoted words</div>`))).toEqual({
      text: 'Answer here.',
      keptCids: [],
    });
  });

  it('keeps a bordered div that is not an Outlook header block', () => {
    const h = html(
      '<div>Steps:</div><div style="border:none;border-top:solid #ccc 1pt">Open the portal.</div>',
    );
    expect(read(h).text).toBe('Steps:\nOpen the portal.');
  });

  it('keeps the inline images of the answer, not those of the signature or the quote', () => {
    const h = html(
      [
        '<div>See the screenshot:</div><div><img src="cid:shot@x"></div><div>Done.</div><div><br></div>',
        '<div>Emily Carter</div><div><img src="cid:logo@x" alt="logo"></div><div>Partner Support</div>',
        '<div>+81 3 5555 0134</div><div class="gmail_quote"><img src="cid:quoted@x"></div>',
      ].join(''),
    );
    expect(agentReplyText({ text: null, html: h, agent: { name: 'Emily Carter', email: 'e@x' } })).toEqual({
      text: 'See the screenshot:\n\nDone.',
      keptCids: ['shot@x'],
    });
  });

  it('falls back to the text part when the HTML leaves nothing', () => {
    const h = html(`<div class="gmail_quote">Answer in the quote?</div>`);
    expect(read(h, lines('The answer.', '', `> ${visibleReplyMarker}`))).toEqual({
      text: 'The answer.',
      keptCids: null,
    });
  });

  it("cuts at Outlook desktop's signature bookmark", () => {
    const h = html(
      '<p class=MsoNormal>Done.<o:p></o:p></p><p class=MsoNormal><a name="_MailAutoSig">Regards,</a></p><p class=MsoNormal>Emily</p>',
    );
    expect(read(h).text).toBe('Done.');
  });

  it("keeps the agent's own indented lines (a blockquote that is not a quote) as plain lines", () => {
    const h = html(
      '<div>The value must be:</div><blockquote style="margin:0 0 0 40px;border:none;padding:0px"><div>MS=ms48213377</div><div>exactly</div></blockquote><div>Thanks</div><div class="gmail_quote">x</div>',
    );
    expect(read(h).text).toBe('The value must be:\nMS=ms48213377\nexactly\nThanks');
  });

  it('reads an HTML-only answer written under the quote', () => {
    const h = html(
      `<div class="moz-cite-prefix">On 12/7/26 2:03 PM, Jonas wrote:<br></div><blockquote type="cite"><div style="display:none">${hiddenReplyMarker}</div><p>${visibleReplyMarker}</p><div>Hello</div></blockquote><p>Closing the case.</p><div class="moz-signature">-- <br>Hannah</div>`,
    );
    expect(read(h)).toEqual({ text: 'Closing the case.', keptCids: [] });
    expect(read(html(`<blockquote type="cite"><p>${visibleReplyMarker}</p></blockquote>`)).text).toBe('');
  });

  it("reads Word's paragraphs as the lines the agent typed", () => {
    const h = html(
      '<p class=MsoNormal>Line one<o:p></o:p></p><p class=MsoNormal>Line two<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Para two<o:p></o:p></p>',
    );
    expect(read(h).text).toBe('Line one\nLine two\n\nPara two');
  });
});

// ---- Hostile input: the work grows in proportion to the input ----

/** The lines, wrapped so that every read of one line is counted. */
function counted(list: string[]): { source: string[]; reads: () => number } {
  let reads = 0;
  const source = new Proxy(list, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { source, reads: () => reads };
}

function readsOf(list: string[], name = 'Taro Yamada'): number {
  const { source, reads } = counted(list);
  agentAnswerLines(source, name);
  return reads();
}

describe('agentReplyText on hostile input', () => {
  const shapes: Record<string, (n: number) => string[]> = {
    'quote lines': (n) => Array.from({ length: n }, () => '> > > >'),
    'own lines then quote': (n) => [
      ...Array.from({ length: n }, (_, i) => `line ${i}`),
      ...Array.from({ length: n }, () => '>'),
    ],
    'alternating text and single quotes': (n) =>
      Array.from({ length: n }, (_, i) => (i % 2 ? '> q' : 'text')),
    'header-like lines': (n) =>
      Array.from({ length: n }, (_, i) => ['From: x', 'To: y', '', 'Sent: z', 'text'][i % 5]!),
    'blank lines': (n) => Array.from({ length: n }, () => ''),
    'signature-like lines': (n) =>
      Array.from({ length: n }, (_, i) => ['Taro Yamada', '-----x', 'Best regards,', 'TEL 03'][i % 4]!),
    'attribution-like lines': (n) =>
      Array.from({ length: n }, (_, i) => (i % 2 ? 'On Tue, 1 Dec 2026 10:00, x' : 'x <a@b> said:')),
    'an answer under a long quote': (n) => [
      'X <x@partner.example> wrote:',
      `> ${visibleReplyMarker}`,
      ...Array.from({ length: n }, () => '> quoted'),
      ...Array.from({ length: n }, (_, i) => (i % 3 ? 'answer' : '')),
    ],
    'quotes and answers interleaved under a quote': (n) => [
      `> ${visibleReplyMarker}`,
      ...Array.from({ length: n }, (_, i) => (i % 4 < 2 ? '> q' : 'a')),
    ],
  };

  for (const [shape, make] of Object.entries(shapes)) {
    it(`reads each line a bounded number of times: ${shape}`, () => {
      const small = readsOf(make(5_000));
      const large = readsOf(make(10_000));
      expect(small).toBeLessThanOrEqual(6 * 10_000 + 400);
      expect(large).toBeLessThanOrEqual(6 * 20_000 + 400);
      // Twice the lines, at most about twice the work (a quadratic rescan would be four times).
      expect(large).toBeLessThanOrEqual(2.2 * small + 400);
    });
  }

  it('cuts 100k lines of ">" under one line of text after reading a handful of lines', () => {
    const list = ['Please see below.', ...Array.from({ length: 100_000 }, () => '>')];
    const { source, reads } = counted(list);
    expect(agentQuoteStart(source)).toBe(1);
    expect(reads()).toBeLessThan(20);
    expect(text(list.join('\n'))).toBe('Please see below.');
    expect(text(list.slice(1).join('\n'))).toBe('');
  });

  it('does not try patterns on a 1 MB line, and keeps it', () => {
    const long = `${'On x <a@b> wrote: '.repeat(55_000)}`;
    const out = text(lines('Hi,', long, '', visibleReplyMarker, 'quoted'));
    expect(out.startsWith('Hi,\nOn x <a@b> wrote:')).toBe(true);
    expect(out).not.toContain('quoted');
  });

  it('scans HTML in time proportional to its length (counted work)', () => {
    const units = (h: string) => {
      const work = { units: 0 };
      htmlQuoteStart(h, work);
      return work.units;
    };
    const shapesHtml: Array<(n: number) => string> = [
      (n) => '<div style="border:none;border-top:solid #E1E1E1 1.0pt">x'.repeat(n),
      (n) => '<blockquote>'.repeat(n),
      (n) => `<div class="${'a '.repeat(n)}">`,
      (n) => '<<<<div'.repeat(n),
      (n) => `<p>${'word '.repeat(n)}</p>`,
    ];
    for (const make of shapesHtml) {
      const a = units(make(10_000));
      const b = units(make(20_000));
      expect(b).toBeLessThanOrEqual(2.2 * a + 1000);
      expect(b).toBeLessThanOrEqual(40 * make(20_000).length + 1000);
    }
  });

  it('reads a 2 MB HTML, deeply nested blockquotes and an unclosed tag without trouble', () => {
    const big = `<div>Answer.</div>${'<p>filler text in the answer</p>'.repeat(65_000)}`;
    expect(big.length).toBeGreaterThan(2_000_000);
    const out = agentReplyText({ text: null, html: big });
    expect(out.text.startsWith('Answer.\n\nfiller text')).toBe(true);
    const nested = `<div>Answer.</div>${'<blockquote>'.repeat(50_000)}deep${'</blockquote>'.repeat(50_000)}`;
    expect(agentReplyText({ text: null, html: nested }).text).toBe('Answer.\n\ndeep');
    const cited = `<div>Answer.</div>${'<blockquote type="cite">'.repeat(50_000)}deep`;
    expect(agentReplyText({ text: null, html: cited }).text).toBe('Answer.');
    expect(agentReplyText({ text: null, html: `<div>Answer.</div><div ${'x'.repeat(1_000_000)}` }).text).toBe(
      'Answer.',
    );
  });
});
