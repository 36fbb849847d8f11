import { describe, expect, it } from 'vitest';
import type { PlanHours } from '../../src/db/schema.js';
import { decide, overallCapStep, type TriageInput } from '../../src/triage/decide.js';

const tokyoDesk: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: false,
  weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }],
  holidays: [],
  nationalHolidays: 'JP',
};
const plan = { hours: tokyoDesk, responseTargets: { urgent: 'PT4H', high: 'PT8H', normal: 'P1D' } };

// Tuesday 2026-11-24 10:00 JST: the desk is open.
const tuesdayMorning = new Date('2026-11-24T01:00:00Z');
// Saturday 2026-11-21 21:00 JST: closed; Monday 11-23 is 勤労感謝の日, so the desk opens Tuesday 09:00 JST.
const saturdayNight = new Date('2026-11-21T12:00:00Z');

function input(over: Partial<TriageInput> = {}): TriageInput {
  return {
    now: tuesdayMorning,
    newCase: true,
    priority: 'normal',
    customer: { id: 'cust-1', name: 'Fabrikam' },
    senderDomain: 'fabrikam.example',
    plan,
    autoReplyBlocker: null,
    automaticRepliesLastHour: 0,
    autoReplyLimitPerHour: 5,
    ...over,
  };
}

const step = (d: ReturnType<typeof decide>, name: string) => d.steps.find((s) => s.step === name);

describe('decide: which reply', () => {
  it('a new case from a known customer while the desk is open gets "ack"', () => {
    const d = decide(input());
    expect(d.replyTemplate).toBe('ack');
    expect(d.deskOpen).toBe(true);
    expect(d.nextOpen).toEqual(tuesdayMorning);
    expect(step(d, 'reply')).toEqual({ step: 'reply', result: 'ack', reason: 'new case, desk open' });
  });

  it('a follow-up on an existing case gets no reply', () => {
    const d = decide(input({ newCase: false }));
    expect(d.replyTemplate).toBe(null);
    expect(step(d, 'reply')).toEqual({
      step: 'reply',
      result: 'none',
      reason: 'follow-up on an existing case: no acknowledgement',
    });
  });

  it('a follow-up says "none" even when a blocker and the rate limit also apply', () => {
    const d = decide(input({ newCase: false, autoReplyBlocker: 'precedence', automaticRepliesLastHour: 99 }));
    expect(step(d, 'reply')?.result).toBe('none');
  });

  it('an auto-reply blocker suppresses the reply and says which', () => {
    const d = decide(input({ autoReplyBlocker: 'auto-submitted' }));
    expect(d.replyTemplate).toBe(null);
    expect(step(d, 'reply')).toEqual({
      step: 'reply',
      result: 'suppressed',
      reason: 'never auto-answer: auto-submitted',
    });
  });

  it('the blocker is named before the rate limit', () => {
    const d = decide(input({ autoReplyBlocker: 'list-id', automaticRepliesLastHour: 5 }));
    expect(step(d, 'reply')?.reason).toBe('never auto-answer: list-id');
  });

  it('reaching the hourly limit suppresses the reply', () => {
    const d = decide(input({ automaticRepliesLastHour: 5, autoReplyLimitPerHour: 5 }));
    expect(d.replyTemplate).toBe(null);
    expect(step(d, 'reply')).toEqual({
      step: 'reply',
      result: 'suppressed',
      reason: 'sender already got 5 automatic replies this hour (limit 5)',
    });
  });

  it('one below the hourly limit still replies', () => {
    expect(decide(input({ automaticRepliesLastHour: 4, autoReplyLimitPerHour: 5 })).replyTemplate).toBe(
      'ack',
    );
  });

  it('an unknown sender gets "unknown_customer", open or closed', () => {
    for (const now of [tuesdayMorning, saturdayNight]) {
      const d = decide(input({ now, customer: null, senderDomain: 'unknown.example' }));
      expect(d.replyTemplate).toBe('unknown_customer');
      expect(step(d, 'reply')?.reason).toBe('new case from an unknown sender');
      expect(step(d, 'customer')).toEqual({
        step: 'customer',
        result: 'unknown',
        reason: 'no customer has the domain unknown.example; case unverified',
      });
    }
  });

  it('a known customer is named in the customer step', () => {
    expect(step(decide(input()), 'customer')).toEqual({
      step: 'customer',
      result: 'cust-1',
      reason: 'sender domain fabrikam.example belongs to Fabrikam',
    });
  });
});

describe('decide: senders the receiving server did not vouch for', () => {
  const why = 'dmarc=fail (header.from=contoso.co.jp) as reported by mail.partner.example';

  it('a new case from an unproven sender gets "unknown_customer" and says why it is unverified', () => {
    const d = decide(input({ customer: null, senderDomain: 'contoso.co.jp', senderUnproven: why }));
    expect(d.replyTemplate).toBe('unknown_customer');
    expect(step(d, 'customer')).toEqual({
      step: 'customer',
      result: 'unproven',
      reason: `sender not proven: ${why}; case unverified`,
    });
    expect(step(d, 'reply')?.reason).toBe('new case from a sender not proven');
  });

  it('an unproven follow-up on a customer case says the case stays and nothing is handed over', () => {
    const d = decide(input({ newCase: false, senderUnproven: why }));
    expect(step(d, 'customer')?.reason).toBe(
      `sender not proven: ${why}; the case stays with Fabrikam; nothing is handed over from this message`,
    );
  });
});

describe('decide: caps on automatic replies', () => {
  it('names the per-sender cap as the reason the reply was held', () => {
    expect(decide(input({ automaticRepliesLastHour: 5, autoReplyLimitPerHour: 5 })).cappedBy).toBe('sender');
    expect(decide(input({ automaticRepliesLastHour: 4, autoReplyLimitPerHour: 5 })).cappedBy).toBe(null);
    expect(decide(input({ autoReplyBlocker: 'list-id', automaticRepliesLastHour: 5 })).cappedBy).toBe(null);
  });

  it('the overall cap replaces the reply step with its own reason', () => {
    expect(overallCapStep('ack', 500)).toEqual({
      step: 'reply',
      result: 'suppressed',
      reason: 'automatic replies to all senders reached the limit of 500 this hour: ack not sent',
    });
  });
});

describe('decide: desk closed', () => {
  it('gets "ack_out_of_hours" with the next opening (Tuesday 09:00 JST after a holiday Monday)', () => {
    const d = decide(input({ now: saturdayNight }));
    expect(d.replyTemplate).toBe('ack_out_of_hours');
    expect(d.deskOpen).toBe(false);
    expect(d.nextOpen?.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(step(d, 'hours')).toEqual({
      step: 'hours',
      result: 'closed',
      reason: 'outside the plan service hours; opens 2026-11-24T00:00:00.000Z',
    });
    expect(step(d, 'reply')).toEqual({
      step: 'reply',
      result: 'ack_out_of_hours',
      reason: 'new case, desk closed',
    });
  });

  it('says "never" for a plan that never opens', () => {
    const d = decide(input({ plan: { hours: { ...tokyoDesk, weekly: [] }, responseTargets: {} } }));
    expect(d.deskOpen).toBe(false);
    expect(d.nextOpen).toBe(null);
    expect(step(d, 'hours')?.reason).toBe('outside the plan service hours; opens never');
  });
});

describe('decide: response target', () => {
  it('P1D from Saturday night is one business day from the Tuesday 09:00 opening: Wednesday 09:00 JST', () => {
    // Monday 2026-11-23 is 勤労感謝の日: the desk opens Tuesday 09:00; one business day later is Wednesday 09:00.
    const d = decide(input({ now: saturdayNight }));
    expect(d.dueAt?.toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(step(d, 'sla')).toEqual({
      step: 'sla',
      result: '2026-11-25T00:00:00.000Z',
      reason: 'normal priority response target P1D in business time',
    });
  });

  it('PT4H from Tuesday 10:00 JST is 14:00 JST', () => {
    const d = decide(input({ priority: 'urgent' }));
    expect(d.dueAt?.toISOString()).toBe('2026-11-24T05:00:00.000Z');
    expect(step(d, 'sla')?.reason).toBe('urgent priority response target PT4H in business time');
  });

  it('a priority without a target has no due time and no sla step', () => {
    const d = decide(input({ priority: 'low' }));
    expect(d.dueAt).toBe(null);
    expect(step(d, 'sla')).toBe(undefined);
  });

  it('without a plan the desk counts as open, with no hours or sla step', () => {
    const d = decide(input({ plan: null }));
    expect(d.deskOpen).toBe(true);
    expect(d.nextOpen).toEqual(tuesdayMorning);
    expect(d.dueAt).toBe(null);
    expect(d.steps.map((s) => s.step)).toEqual(['customer', 'reply']);
    expect(d.replyTemplate).toBe('ack');
  });

  it('records the steps in order: customer, hours, sla, reply', () => {
    expect(decide(input()).steps.map((s) => s.step)).toEqual(['customer', 'hours', 'sla', 'reply']);
  });

  it('every reason is a readable sentence, not a code', () => {
    const all = [
      decide(input()),
      decide(input({ now: saturdayNight })),
      decide(input({ newCase: false })),
      decide(input({ autoReplyBlocker: 'precedence' })),
      decide(input({ automaticRepliesLastHour: 9 })),
      decide(input({ customer: null })),
    ].flatMap((d) => d.steps);
    for (const s of all) {
      expect(s.reason.length, s.step).toBeGreaterThan(10);
      expect(s.reason, s.step).toMatch(/ /);
      expect(s.reason, s.step).not.toBe(s.result);
    }
  });
});
