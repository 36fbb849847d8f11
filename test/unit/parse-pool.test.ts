import { afterAll, describe, expect, it } from 'vitest';
import { normaliseMail, UnparseableMailError } from '../../src/channels/email/normalise-mail.js';
import { createMailParser } from '../../src/channels/email/parse-pool.js';

const options = { supportAddress: 'support@example.test', attachmentMaxBytes: 1_000_000 };
const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

const withAttachment = crlf(`From: Taro <taro@contoso.co.jp>
Subject: =?UTF-8?B?44K144Kk44Oz44Kk44Oz?=
Message-ID: <pool-1@contoso.co.jp>
Content-Type: multipart/mixed; boundary=X

--X
Content-Type: text/plain; charset=UTF-8

サインインできません
--X
Content-Type: application/octet-stream; name=log.bin
Content-Disposition: attachment; filename=log.bin
Content-Transfer-Encoding: base64

AAECAwQFBgcICQ==
--X--
`);

// 200,000 nested <div>s: the HTML libraries take about a minute on this (their time grows with the square of
// the depth), so it is flattened first.
const deepHtml = crlf(
  `From: a@fabrikam.example\nSubject: deep\nMessage-ID: <deep@fabrikam.example>\nContent-Type: text/html\n\n${'<div>'.repeat(200_000)}Exchange &amp; Teams down${'</div>'.repeat(200_000)}\n`,
);

describe('mail parse threads', () => {
  const parser = createMailParser({ threads: 1, timeoutMs: 20_000 });
  afterAll(() => parser.close());

  it('gives the same result as parsing on the calling thread, attachments as Buffers', async () => {
    const inThread = await parser.normalise(withAttachment, options);
    const here = await normaliseMail(withAttachment, options);
    expect(inThread).toEqual(here);
    expect(inThread.subject).toBe('サインイン');
    expect(Buffer.isBuffer(inThread.attachments[0]!.content)).toBe(true);
    expect([...inThread.attachments[0]!.content!]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reports garbage as unparseable with its code, and keeps serving', async () => {
    const err = await parser.normalise(Buffer.from('\u0000\u0001 not a mail'), options).catch((e) => e);
    expect(err).toBeInstanceOf(UnparseableMailError);
    expect(err.code).toBe('mail_unparseable');
    expect((await parser.normalise(withAttachment, options)).from?.address).toBe('taro@contoso.co.jp');
  });

  it('stops a parse that runs past the limit, quarantines it as a timeout, and keeps serving', async () => {
    const hasty = createMailParser({ threads: 1, timeoutMs: 1 });
    try {
      const err = await hasty.normalise(withAttachment, options).catch((e) => e);
      expect(err).toBeInstanceOf(UnparseableMailError);
      expect(err.code).toBe('mail_parse_timeout');
    } finally {
      await hasty.close();
    }
    expect((await parser.normalise(withAttachment, options)).messageId).toBe('<pool-1@contoso.co.jp>');
  });

  it('counts the time limit from when a mail is parsed, not while it waits behind others', async () => {
    // Each takes a few hundred ms; twenty of them queue for about twice the limit, none parses near it (a
    // loaded machine may slow one parse to a second without reaching the limit).
    const quoted = '> quoted history line\n'.repeat(100_000);
    const slow = crlf(
      `From: a@contoso.co.jp\nSubject: slow\nMessage-ID: <slow@contoso.co.jp>\n\nNew.\n\n${quoted}`,
    );
    const patient = createMailParser({ threads: 1, timeoutMs: 3_000 });
    const started = Date.now();
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => patient.normalise(slow, options).then((m) => m.text)),
      );
      expect(results).toEqual(Array(20).fill('New.'));
      // The last mail waited longer than the limit: the limit really ran on parse time alone.
      expect(Date.now() - started).toBeGreaterThan(3_000);
    } finally {
      await patient.close();
    }
  }, 30_000);

  it('parses a batch in one hand-over, each mail answered in order, garbage as unparseable', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a, 0x0d, 0x0a, 0x01, 0x02]);
    const results = await parser.normaliseMany([withAttachment, garbage, withAttachment], options);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const first = results[0]!;
    const bad = results[1]!;
    expect(first.ok && first.mail.attachments.map((a) => Buffer.isBuffer(a.content))).toEqual([true]);
    expect(!bad.ok && bad.error).toBeInstanceOf(UnparseableMailError);
    // The same answers on the calling thread.
    const here = await createMailParser({ threads: 0 }).normaliseMany([withAttachment, garbage], options);
    expect(here.map((r) => r.ok)).toEqual([true, false]);
  });

  it('parses each mail of a batch again on its own when the batch runs past the limit', async () => {
    // Forty mails of 50-150 ms each (Node 24 parses faster than 20): together well past the limit, each on
    // its own far within it, even on a machine busy with the rest of the suite.
    const quoted = '> quoted history line\n'.repeat(30_000);
    const slow = crlf(
      `From: a@contoso.co.jp\nSubject: slow\nMessage-ID: <slow2@contoso.co.jp>\n\nNew.\n\n${quoted}`,
    );
    const patient = createMailParser({ threads: 1, timeoutMs: 1_200 });
    try {
      const started = performance.now();
      const results = await patient.normaliseMany(Array(40).fill(slow), options);
      expect(results.map((r) => r.ok && r.mail.text)).toEqual(Array(40).fill('New.'));
      // The premise: the batch ran into the limit (it was cut off there and parsed again mail by mail).
      expect(performance.now() - started).toBeGreaterThan(1_200);
    } finally {
      await patient.close();
    }
  }, 30_000);

  it('reads HTML with a stray "<" and no ">" in one pass', async () => {
    const strays = crlf(
      `From: a@fabrikam.example\nSubject: strays\nMessage-ID: <strays@fabrikam.example>\nContent-Type: text/html\n\n${'<a'.repeat(500_000)}\n`,
    );
    expect((await parser.normalise(strays, options)).messageId).toBe('<strays@fabrikam.example>');
  });

  it('keeps the words of absurdly nested HTML and drops its markup', async () => {
    const mail = await parser.normalise(deepHtml, options);
    expect(mail.html).toBeNull();
    expect(mail.text).toBe('Exchange & Teams down');
  });
});

describe('normalise: text too long for the reply cutter', () => {
  it('cuts from the first 200,000 characters and keeps the whole text', async () => {
    const quoted = '> quoted history line\n'.repeat(100_000);
    const mail = await normaliseMail(
      crlf(
        `From: a@contoso.co.jp\nSubject: long\nMessage-ID: <long@contoso.co.jp>\n\nMy new words.\n\n${quoted}`,
      ),
      options,
    );
    expect(mail.text).toBe('My new words.');
    expect(mail.fullText.length).toBeGreaterThan(2_000_000);
  });
});
