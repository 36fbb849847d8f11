import { describe, expect, it } from 'vitest';
import { isBacklog } from '../../src/channels/email/raw-mail-store.js';

const backlog = { upToUid: 10, before: new Date('2026-11-30T00:00:00Z') };
const mail = (uid: number, internalDate?: Date) => ({ uid, source: Buffer.from(''), internalDate });

describe('mailbox backlog rule', () => {
  it('counts old mail in the range as backlog', () => {
    expect(isBacklog(mail(3, new Date('2026-11-01T00:00:00Z')), backlog)).toBe(true);
  });
  it('answers mail in the range that arrived shortly before the first connection', () => {
    expect(isBacklog(mail(10, new Date('2026-11-30T00:05:00Z')), backlog)).toBe(false);
  });
  it('answers every mail above the range, whatever its date', () => {
    expect(isBacklog(mail(11, new Date('2020-01-01T00:00:00Z')), backlog)).toBe(false);
  });
  it('when in doubt (no date, or one that does not parse) sends no belated acknowledgement', () => {
    expect(isBacklog(mail(5), backlog)).toBe(true);
    expect(isBacklog(mail(5, new Date('not a date')), backlog)).toBe(true);
  });
  it('has no backlog for a mailbox read before backlogs were recorded', () => {
    expect(isBacklog(mail(1, new Date('2020-01-01T00:00:00Z')), { upToUid: 0, before: null })).toBe(false);
  });
});
