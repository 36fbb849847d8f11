import { describe, expect, it } from 'vitest';
import { attachmentOmissions } from '../../src/channels/email/attachment-budget.js';

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
