import type { OmittedPart } from '../../db/schema.js';
import type { NormalisedMail } from './normalise-mail.js';

// A mail larger than MAIL_MAX_BYTES was read as its headers and first text part. What was not read is
// recorded by name and size (as omitted attachments) and said in the text, so nothing vanishes unnoticed.

export function cutMailReason(size: number): string {
  return `mail larger than MAIL_MAX_BYTES (${size} bytes): kept in the mailbox`;
}

/** Adds to `mail` the record of what a cut mail left in the mailbox. */
export function noteCutMail(mail: NormalisedMail, size: number, parts: readonly OmittedPart[]): void {
  const reason = cutMailReason(size);
  mail.attachments.push(
    {
      filename: 'original mail',
      contentType: 'message/rfc822',
      size,
      content: null,
      omittedReason: reason,
      cid: null,
    },
    ...parts.map((p) => ({ ...p, content: null, omittedReason: reason, cid: null })),
  );
  const note = `[This mail is ${size} bytes, more than MAIL_MAX_BYTES: only its headers and first text part were read. The whole mail stays in the mailbox.]`;
  mail.text = `${mail.text}\n\n${note}`.trim();
  mail.fullText = `${mail.fullText}\n\n${note}`.trim();
}
