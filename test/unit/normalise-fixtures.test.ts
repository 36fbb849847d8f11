import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { caseNumberFromSubject } from '../../src/cases/threading.js';
import { normaliseMail, UnparseableMailError } from '../../src/channels/email/normalise-mail.js';

interface Expected {
  file: string;
  description: string;
  parseable: boolean;
  from: string | null;
  fromName: string | null;
  subject: string;
  textIncludes: string[];
  textExcludes: string[];
  attachments: Array<{ filename: string | null; contentType: string }>;
  autoReply: boolean;
  autoReplyReason: string | null;
  inReplyTo: string | null;
  caseNumberInSubject: number | null;
}

const dir = new URL('../fixtures/mail/', import.meta.url);
const expected = JSON.parse(await readFile(new URL('expected.json', dir), 'utf8')) as Expected[];
const options = { supportAddress: 'support@example.test', attachmentMaxBytes: 5 * 1024 * 1024 };

describe('normalise: real-world mail fixtures', () => {
  it('has at least 30 fixtures', () => {
    expect(expected.length).toBeGreaterThanOrEqual(30);
  });

  for (const e of expected) {
    it(`${e.file}: ${e.description.slice(0, 90)}`, async () => {
      const raw = await readFile(new URL(e.file, dir));
      if (!e.parseable) {
        await expect(normaliseMail(raw, options)).rejects.toBeInstanceOf(UnparseableMailError);
        return;
      }
      const mail = await normaliseMail(raw, options);
      expect(mail.from?.address ?? null).toBe(e.from);
      if (e.fromName !== null) expect(mail.from?.name).toBe(e.fromName);
      expect(mail.subject).toBe(e.subject.replace(/\s+/g, ' ').trim());
      expect(mail.subject).not.toMatch(/[\r\n]/);
      for (const s of e.textIncludes) expect(mail.text).toContain(s);
      for (const s of e.textExcludes) expect(mail.text).not.toContain(s);
      expect(mail.text).not.toContain('\ufffd');
      expect(mail.attachments.map((a) => a.contentType)).toEqual(e.attachments.map((a) => a.contentType));
      for (const [i, a] of e.attachments.entries()) {
        if (a.filename) expect(mail.attachments[i]!.filename).toBe(a.filename);
      }
      expect(mail.autoReplyBlocker !== null).toBe(e.autoReply);
      if (e.autoReplyReason) expect(mail.autoReplyBlocker).toBe(e.autoReplyReason);
      expect(mail.inReplyTo).toBe(e.inReplyTo);
      expect(caseNumberFromSubject(mail.subject)).toBe(
        e.caseNumberInSubject === null ? null : String(e.caseNumberInSubject),
      );
      if (mail.html) {
        expect(mail.html).not.toMatch(/<script|onerror=|javascript:/i);
      }
    });
  }
});
