import { describe, expect, it } from 'vitest';
import { attachmentOmissions } from '../../src/channels/email/attachment-budget.js';
import { normaliseMail } from '../../src/channels/email/normalise-mail.js';

describe('attachmentOmissions: attachments kept per mail', () => {
  it('keeps attachments until the total per mail would pass the limit, and lists the rest with a reason', () => {
    const out = attachmentOmissions([{ size: 40 }, { size: 40 }, { size: 40 }, { size: 15 }], {
      perAttachment: 100,
      perMail: 100,
    });
    expect(out.slice(0, 2)).toEqual([null, null]);
    expect(out[2]).toMatch(/over 100 bytes in total/);
    // A smaller one later still fits in what is left.
    expect(out[3]).toBeNull();
  });

  it('applies the per-attachment limit first, and an omitted one does not count against the total', () => {
    const out = attachmentOmissions([{ size: 500 }, { size: 90 }], { perAttachment: 100, perMail: 100 });
    expect(out).toEqual(['larger than 100 bytes', null]);
  });

  it('keeps everything under both limits', () => {
    expect(attachmentOmissions([{ size: 1 }, { size: 2 }], { perAttachment: 10, perMail: 10 })).toEqual([
      null,
      null,
    ]);
  });
});

describe('normaliseMail: attachments kept per mail (ATTACHMENTS_MAX_BYTES_PER_MAIL)', () => {
  const part = (name: string, bytes: number) =>
    [
      '--b1',
      `Content-Type: application/octet-stream; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.alloc(bytes, 1).toString('base64'),
    ].join('\r\n');
  const raw = Buffer.from(
    [
      'From: a@contoso.co.jp',
      'To: support@example.test',
      'Subject: logs',
      'Message-ID: <att-total@contoso.co.jp>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Three logs attached.',
      part('a.log', 600),
      part('b.log', 600),
      part('c.log', 300),
      '--b1--',
      '',
    ].join('\r\n'),
  );

  it('keeps attachments up to the total and lists the rest by name and size with the reason', async () => {
    const mail = await normaliseMail(raw, {
      supportAddress: 'support@example.test',
      attachmentMaxBytes: 1000,
      attachmentsMaxBytesPerMail: 1000,
    });
    expect(mail.attachments.map((a) => [a.filename, a.size, a.content === null])).toEqual([
      ['a.log', 600, false],
      ['b.log', 600, true],
      ['c.log', 300, false],
    ]);
    expect(mail.attachments[1]!.omittedReason).toMatch(/over 1000 bytes in total/);
  });
});
