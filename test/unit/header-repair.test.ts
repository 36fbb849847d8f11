import { describe, expect, it } from 'vitest';
import { relabelledText, repairHeaderCharsets } from '../../src/channels/email/header-charset.js';
import { headerSectionEnd } from '../../src/channels/email/header-section.js';
import { tidyHeaderSyntax } from '../../src/channels/email/header-syntax.js';

// Shift_JIS bytes of a few fixed words (the standard encoders only write UTF-8); 表 ends in 0x5C.
const sjisBytes: Record<string, string> = { 至急: '8e8a8b7d', 表示: '955c8ea6' };
const sjis = (s: string) => Buffer.from(sjisBytes[s]!, 'hex');
const b64 = (bytes: Buffer) => bytes.toString('base64');
const head = (raw: Buffer) => raw.subarray(0, headerSectionEnd(raw)).toString('latin1');

describe('header syntax: mbox line and obsolete syntax', () => {
  it('drops a leading mbox line and the white space before colons, in the header section only', () => {
    const raw = Buffer.from(
      'From a@b.example Mon Nov 30 10:00:00 2026\nSubject : x\nFrom\t: A <a@b.example>\n\nNote : y\n',
    );
    expect(tidyHeaderSyntax(raw).toString('latin1')).toBe('Subject: x\nFrom: A <a@b.example>\n\nNote : y\n');
  });

  it('takes "From  : name" for a header, not an mbox line', () => {
    const raw = Buffer.from('From  : A <a@b.example>\r\nSubject: x\r\n\r\nbody\r\n');
    expect(tidyHeaderSyntax(raw).toString('latin1')).toBe(
      'From: A <a@b.example>\r\nSubject: x\r\n\r\nbody\r\n',
    );
  });

  it('returns the same buffer when nothing needs tidying', () => {
    const raw = Buffer.from('From: a@b.example\r\nSubject: x\r\n\r\nFrom  : not a header\r\n');
    expect(tidyHeaderSyntax(raw)).toBe(raw);
  });
});

describe('header charsets: only where the label is clearly wrong', () => {
  it('reads Shift_JIS in a word labelled ISO-2022-JP', () => {
    expect(relabelledText('ISO-2022-JP', sjis('至急'))).toBe('至急');
  });

  it('reads Shift_JIS in a word labelled us-ascii (8-bit bytes are invalid there)', () => {
    expect(relabelledText('us-ascii', sjis('表示'))).toBe('表示');
  });

  it('never second-guesses iso-8859-1, which takes any byte', () => {
    expect(relabelledText('iso-8859-1', Buffer.from('M\xfcller', 'latin1'))).toBeNull();
  });

  it('keeps valid words, unknown charsets and raw UTF-8 as they are', () => {
    expect(relabelledText('utf-8', Buffer.from('至急', 'utf8'))).toBeNull();
    expect(relabelledText('x-unknown-charset', sjis('至急'))).toBeNull();
    expect(relabelledText(null, Buffer.from('至急', 'utf8'))).toBeNull();
  });

  it('joins adjacent words of one charset split inside a character, and leaves the body alone', () => {
    const bytes = sjis('至急');
    const raw = Buffer.from(
      `Subject: =?ISO-2022-JP?B?${b64(bytes.subarray(0, 3))}?=\r\n =?ISO-2022-JP?B?${b64(bytes.subarray(3))}?=\r\n\r\n=?ISO-2022-JP?B?${b64(bytes)}?=\r\n`,
    );
    const out = repairHeaderCharsets(raw).toString('latin1');
    expect(out).toBe(
      `Subject: =?UTF-8?B?${b64(Buffer.from('至急'))}?=\r\n\r\n=?ISO-2022-JP?B?${b64(bytes)}?=\r\n`,
    );
  });

  it('writes raw Shift_JIS header bytes out in UTF-8, continuation lines included', () => {
    const raw = Buffer.concat([
      Buffer.from('Subject: '),
      sjis('至急'),
      Buffer.from('\r\n '),
      sjis('表示'),
      Buffer.from('\r\nTo: a@b.example\r\n\r\n'),
      sjis('表示'),
    ]);
    const out = repairHeaderCharsets(raw);
    expect(Buffer.from(head(out), 'latin1').toString('utf8')).toBe(
      'Subject: 至急\r\n 表示\r\nTo: a@b.example\r\n',
    );
    expect(out.subarray(-4)).toEqual(sjis('表示'));
  });

  it('reads a large hostile header section in linear time', () => {
    const n = 400_000;
    const parts = [
      '=?'.repeat(n),
      '=?a?B?'.repeat(n / 3),
      `${'a'.repeat(n)} \r\n`,
      'X-A  : b\r\n'.repeat(n / 10),
      '=?shift_jis?B?gqA=?= =?iso-2022-jp?B?gqA=?= '.repeat(n / 44),
    ];
    const started = performance.now();
    for (const p of parts)
      repairHeaderCharsets(tidyHeaderSyntax(Buffer.from(`Subject: ${p}\r\n\r\nx`, 'latin1')));
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
