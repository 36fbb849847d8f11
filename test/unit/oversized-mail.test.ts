import type { MessageStructureObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { normaliseMail } from '../../src/channels/email/normalise-mail.js';
import { cutSource, firstTextPart, omittedParts } from '../../src/channels/email/oversized-mail.js';

const structure: MessageStructureObject = {
  type: 'multipart/mixed',
  childNodes: [
    {
      type: 'multipart/alternative',
      part: '1',
      childNodes: [
        { type: 'text/html', part: '1.2', size: 900 },
        { type: 'text/plain', part: '1.1', size: 300 },
      ],
    },
    {
      type: 'text/plain',
      part: '2',
      size: 5000,
      disposition: 'attachment',
      dispositionParameters: { filename: 'notes.txt' },
    },
    { type: 'application/zip', part: '3', size: 9_000_000, parameters: { name: 'logs.zip' } },
  ],
};

describe('a mail over MAIL_MAX_BYTES, read in part', () => {
  it('reads the first text/plain part that is not an attachment, before any HTML', () => {
    expect(firstTextPart(structure)).toEqual({ part: '1.1', type: 'text/plain' });
    expect(firstTextPart({ type: 'text/html' })).toEqual({ part: '1', type: 'text/html' });
    expect(firstTextPart({ type: 'application/pdf' })).toBeNull();
  });

  it('lists every other part by name, type and size', () => {
    expect(omittedParts(structure, '1.1')).toEqual([
      { filename: 'part 1.2', contentType: 'text/html', size: 900 },
      { filename: 'notes.txt', contentType: 'text/plain', size: 5000 },
      { filename: 'logs.zip', contentType: 'application/zip', size: 9_000_000 },
    ]);
  });

  it('builds a readable mail from the original headers and the text read', async () => {
    const header = Buffer.from(
      'From: Taro <taro@contoso.co.jp>\r\nSubject: =?UTF-8?B?44Ot44Kw?=\r\nMessage-ID: <cut@contoso.co.jp>\r\n' +
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary="x"\r\n\r\n',
    );
    const mail = await normaliseMail(cutSource(header, '添付のログをご確認ください。', 'text/plain'), {
      supportAddress: 'support@example.test',
      attachmentMaxBytes: 1000,
    });
    expect(mail.subject).toBe('ログ');
    expect(mail.messageId).toBe('<cut@contoso.co.jp>');
    expect(mail.text).toBe('添付のログをご確認ください。');
    expect(mail.from?.address).toBe('taro@contoso.co.jp');
  });
});
