import { describe, expect, it } from 'vitest';
import type { PlanHours } from '../../src/db/schema.js';
import { addBusinessTime, isOpenAt, nextOpening } from '../../src/triage/business-hours.js';

// Calendar used below (checked by hand): 2026-11-16 Mon, 11-20 Fri, 11-21 Sat, 11-22 Sun, 11-23 Mon (勤労感謝の日),
// 11-27 Fri, 11-30 Mon, 12-29 Tue; 2026-03-06 Fri, 03-08 Sun (US DST starts 02:00), 03-09 Mon;
// 2026-10-30 Fri, 11-01 Sun (US DST ends 02:00), 11-02 Mon. JST is UTC+9 all year.

const tokyoDesk: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: false,
  weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }],
  holidays: [],
  nationalHolidays: null,
};
const tokyoDeskJp: PlanHours = { ...tokyoDesk, nationalHolidays: 'JP' };
const nightDesk: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: false,
  weekly: [{ days: [1, 2, 3, 4, 5], open: '22:00', close: '06:00' }],
  holidays: [],
  nationalHolidays: null,
};
const alwaysOpen: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: true,
  weekly: [],
  holidays: ['2026-11-21'],
  nationalHolidays: 'JP',
};
const newYorkDesk: PlanHours = {
  timeZone: 'America/New_York',
  always: false,
  weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '17:00' }],
  holidays: [],
  nationalHolidays: null,
};
const newYorkEveryDay: PlanHours = {
  ...newYorkDesk,
  weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], open: '09:00', close: '17:00' }],
};
const neverOpen: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: false,
  weekly: [],
  holidays: [],
  nationalHolidays: null,
};

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('isOpenAt: Mon-Fri 09:00-18:00 Asia/Tokyo', () => {
  it.each([
    ['2026-11-16T09:00:00+09:00', true],
    ['2026-11-16T08:59:59+09:00', false],
    ['2026-11-16T17:59:59.999+09:00', true],
    ['2026-11-16T18:00:00+09:00', false],
    ['2026-11-20T12:00:00+09:00', true],
    ['2026-11-21T12:00:00+09:00', false],
    ['2026-11-22T12:00:00+09:00', false],
  ])('%s -> %s', (when, open) => {
    expect(isOpenAt(tokyoDesk, at(when))).toBe(open);
  });

  it("uses the plan's zone, not UTC: Monday 01:00 UTC is 10:00 in Tokyo", () => {
    expect(isOpenAt(tokyoDesk, at('2026-11-16T01:00:00Z'))).toBe(true);
    // Sunday 23:30 UTC is Monday 08:30 in Tokyo: not open yet.
    expect(isOpenAt(tokyoDesk, at('2026-11-15T23:30:00Z'))).toBe(false);
  });
});

describe('nextOpening: across a weekend', () => {
  it('Saturday 21:00 JST opens Monday 09:00 JST', () => {
    expect(iso(nextOpening(tokyoDesk, at('2026-11-21T21:00:00+09:00')))).toBe('2026-11-23T00:00:00.000Z');
  });

  it('Friday 18:00 JST (closing instant) opens Monday 09:00 JST', () => {
    expect(iso(nextOpening(tokyoDesk, at('2026-11-20T18:00:00+09:00')))).toBe('2026-11-23T00:00:00.000Z');
  });

  it('returns the same instant while open', () => {
    expect(iso(nextOpening(tokyoDesk, at('2026-11-20T10:15:30+09:00')))).toBe('2026-11-20T01:15:30.000Z');
  });

  it("returns today's opening early in the morning", () => {
    expect(iso(nextOpening(tokyoDesk, at('2026-11-17T07:00:00+09:00')))).toBe('2026-11-17T00:00:00.000Z');
  });
});

describe('holidays', () => {
  it('a listed holiday (Tue 2026-12-29) is closed all day and opens the next day', () => {
    const plan: PlanHours = { ...tokyoDesk, holidays: ['2026-12-29'] };
    expect(isOpenAt(plan, at('2026-12-29T10:00:00+09:00'))).toBe(false);
    expect(iso(nextOpening(plan, at('2026-12-29T10:00:00+09:00')))).toBe('2026-12-30T00:00:00.000Z');
    expect(isOpenAt(plan, at('2026-12-28T10:00:00+09:00'))).toBe(true);
  });

  it('nationalHolidays JP closes 2026-11-23 (勤労感謝の日, a Monday)', () => {
    expect(isOpenAt(tokyoDeskJp, at('2026-11-23T10:00:00+09:00'))).toBe(false);
    // Without the JP calendar the same Monday is an ordinary working day.
    expect(isOpenAt(tokyoDesk, at('2026-11-23T10:00:00+09:00'))).toBe(true);
  });

  it('Saturday 21:00 before 勤労感謝の日 opens Tuesday 09:00 JST', () => {
    expect(iso(nextOpening(tokyoDeskJp, at('2026-11-21T21:00:00+09:00')))).toBe('2026-11-24T00:00:00.000Z');
  });

  it('other JP holidays close too (2026-11-03 文化の日, Tue)', () => {
    expect(isOpenAt(tokyoDeskJp, at('2026-11-03T10:00:00+09:00'))).toBe(false);
    expect(isOpenAt(tokyoDeskJp, at('2026-11-04T10:00:00+09:00'))).toBe(true);
  });
});

describe('an overnight slot 22:00-06:00 (Mon-Fri starts)', () => {
  it.each([
    ['2026-11-23T21:59:00+09:00', false],
    ['2026-11-23T22:00:00+09:00', true],
    ['2026-11-24T00:00:00+09:00', true],
    ['2026-11-24T03:00:00+09:00', true],
    ['2026-11-24T06:00:00+09:00', false],
    // Friday's slot runs into Saturday morning.
    ['2026-11-28T03:00:00+09:00', true],
    // Sunday has no slot, so early Monday is closed.
    ['2026-11-23T03:00:00+09:00', false],
    ['2026-11-29T03:00:00+09:00', false],
  ])('%s -> %s', (when, open) => {
    expect(isOpenAt(nightDesk, at(when))).toBe(open);
  });

  it('after Saturday 06:00 the next opening is Monday 22:00', () => {
    expect(iso(nextOpening(nightDesk, at('2026-11-28T06:00:00+09:00')))).toBe('2026-11-30T13:00:00.000Z');
  });

  it('counts business time across midnight and into the next night', () => {
    // Fri 05:00 is inside Thursday night's slot: 1 h to 06:00, then 1 h from Fri 22:00 -> Fri 23:00 JST.
    expect(iso(addBusinessTime(nightDesk, at('2026-11-27T05:00:00+09:00'), 'PT2H'))).toBe(
      '2026-11-27T14:00:00.000Z',
    );
    // Mon 23:00 + PT3H crosses midnight within one slot -> Tue 02:00 JST.
    expect(iso(addBusinessTime(nightDesk, at('2026-11-23T23:00:00+09:00'), 'PT3H'))).toBe(
      '2026-11-23T17:00:00.000Z',
    );
  });

  it('a holiday on the start day cancels that night (JP: no slot from Mon 2026-11-23 22:00)', () => {
    const plan: PlanHours = { ...nightDesk, nationalHolidays: 'JP' };
    expect(isOpenAt(plan, at('2026-11-23T23:00:00+09:00'))).toBe(false);
    expect(iso(nextOpening(plan, at('2026-11-23T23:00:00+09:00')))).toBe('2026-11-24T13:00:00.000Z');
  });
});

describe('always: true', () => {
  it('is open at any time, on weekends and on listed and national holidays', () => {
    expect(isOpenAt(alwaysOpen, at('2026-11-21T03:00:00+09:00'))).toBe(true);
    expect(isOpenAt(alwaysOpen, at('2026-11-22T23:59:59+09:00'))).toBe(true);
    expect(isOpenAt(alwaysOpen, at('2026-11-23T12:00:00+09:00'))).toBe(true);
  });

  it('nextOpening is now', () => {
    expect(iso(nextOpening(alwaysOpen, at('2026-11-22T03:00:00Z')))).toBe('2026-11-22T03:00:00.000Z');
  });

  it('business time equals wall time', () => {
    expect(iso(addBusinessTime(alwaysOpen, at('2026-11-22T03:00:00Z'), 'PT30M'))).toBe(
      '2026-11-22T03:30:00.000Z',
    );
    expect(iso(addBusinessTime(alwaysOpen, at('2026-11-22T03:00:00Z'), 'PT72H'))).toBe(
      '2026-11-25T03:00:00.000Z',
    );
  });
});

describe('a DST-observing zone: America/New_York, 09:00-17:00', () => {
  it('opens at 09:00 EDT (13:00Z) on the Monday after clocks go forward', () => {
    expect(iso(nextOpening(newYorkDesk, at('2026-03-06T18:00:00-05:00')))).toBe('2026-03-09T13:00:00.000Z');
  });

  it('opened at 09:00 EST (14:00Z) on the Friday before', () => {
    expect(iso(nextOpening(newYorkDesk, at('2026-03-05T18:00:00-05:00')))).toBe('2026-03-06T14:00:00.000Z');
  });

  it('opens at 09:00 EST (14:00Z) on the Monday after clocks go back', () => {
    expect(iso(nextOpening(newYorkDesk, at('2026-10-30T18:00:00-04:00')))).toBe('2026-11-02T14:00:00.000Z');
  });

  it('opened at 09:00 EDT (13:00Z) on the Friday before', () => {
    expect(iso(nextOpening(newYorkDesk, at('2026-10-29T18:00:00-04:00')))).toBe('2026-10-30T13:00:00.000Z');
  });

  it('opens at 09:00 local on the change days themselves', () => {
    expect(iso(nextOpening(newYorkEveryDay, at('2026-03-08T06:30:00Z')))).toBe('2026-03-08T13:00:00.000Z');
    expect(iso(nextOpening(newYorkEveryDay, at('2026-11-01T04:30:00Z')))).toBe('2026-11-01T14:00:00.000Z');
  });

  it('is closed at 17:30 EDT on Monday 2026-03-09 (a fixed UTC-5 would say 16:30, open)', () => {
    expect(isOpenAt(newYorkDesk, at('2026-03-09T21:30:00Z'))).toBe(false);
    expect(isOpenAt(newYorkDesk, at('2026-03-09T13:30:00Z'))).toBe(true);
  });

  // 1 h on Friday (16:00-17:00) + 7 h from Monday 09:00 = Monday 16:00 local.
  it('PT8H from Friday 16:00 EST ends Monday 16:00 EDT (spring forward weekend)', () => {
    expect(iso(addBusinessTime(newYorkDesk, at('2026-03-06T16:00:00-05:00'), 'PT8H'))).toBe(
      '2026-03-09T20:00:00.000Z',
    );
  });

  it('PT8H from Friday 16:00 EDT ends Monday 16:00 EST (fall back weekend)', () => {
    expect(iso(addBusinessTime(newYorkDesk, at('2026-10-30T16:00:00-04:00'), 'PT8H'))).toBe(
      '2026-11-02T21:00:00.000Z',
    );
  });
});

describe('addBusinessTime', () => {
  it('P1D is one business day: Wednesday 15:00 -> Thursday 15:00 JST (SPEC)', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-25T15:00:00+09:00'), 'P1D'))).toBe(
      '2026-11-26T06:00:00.000Z',
    );
  });

  it('P1D from Friday 17:00 is Monday 17:00 JST (SPEC); with the JP calendar, Tuesday after 勤労感謝の日', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-27T17:00:00+09:00'), 'P1D'))).toBe(
      '2026-11-30T08:00:00.000Z',
    );
    expect(iso(addBusinessTime(tokyoDeskJp, at('2026-11-20T17:00:00+09:00'), 'P1D'))).toBe(
      '2026-11-24T08:00:00.000Z',
    );
  });

  it('P3D from Friday 17:00 JST is the third business day: Wednesday 17:00; P1W is five business days', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-27T17:00:00+09:00'), 'P3D'))).toBe(
      '2026-12-02T08:00:00.000Z',
    );
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-27T17:00:00+09:00'), 'P1W'))).toBe(
      '2026-12-04T08:00:00.000Z',
    );
  });

  it('a day counted from a closed time starts at the next opening: Saturday 21:00 + P1D -> Tuesday 09:00 JST', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-21T21:00:00+09:00'), 'P1D'))).toBe(
      '2026-11-24T00:00:00.000Z',
    );
  });

  it('days then open hours: Wednesday 15:00 + P1DT4H -> Friday 10:00 JST (Thu 15:00, 3 h, 1 h)', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-25T15:00:00+09:00'), 'P1DT4H'))).toBe(
      '2026-11-27T01:00:00.000Z',
    );
  });

  it("on a shorter next day the due time is that day's closing; months are not a response target", () => {
    const halfFriday = {
      ...tokyoDesk,
      weekly: [
        { days: [1, 2, 3, 4], open: '09:00', close: '18:00' },
        { days: [5], open: '09:00', close: '12:00' },
      ],
    };
    expect(iso(addBusinessTime(halfFriday, at('2026-11-26T17:00:00+09:00'), 'P1D'))).toBe(
      '2026-11-27T03:00:00.000Z',
    );
    expect(addBusinessTime(tokyoDesk, at('2026-11-25T15:00:00+09:00'), 'P1M')).toBeNull();
  });

  it('PT4H from Friday 16:00 JST carries 2 h over the weekend: Monday 11:00 JST', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-20T16:00:00+09:00'), 'PT4H'))).toBe(
      '2026-11-23T02:00:00.000Z',
    );
  });

  it('PT4H from Friday 16:00 JST skips 勤労感謝の日 with the JP calendar: Tuesday 11:00 JST', () => {
    expect(iso(addBusinessTime(tokyoDeskJp, at('2026-11-20T16:00:00+09:00'), 'PT4H'))).toBe(
      '2026-11-24T02:00:00.000Z',
    );
  });

  it('starts counting at the next opening when the desk is closed', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-21T21:00:00+09:00'), 'PT1H'))).toBe(
      '2026-11-23T01:00:00.000Z',
    );
  });

  it('a target that uses up the day exactly ends at closing time, one minute more rolls over', () => {
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-16T09:00:00+09:00'), 'PT9H'))).toBe(
      '2026-11-16T09:00:00.000Z',
    );
    expect(iso(addBusinessTime(tokyoDesk, at('2026-11-16T09:00:00+09:00'), 'PT9H1M'))).toBe(
      '2026-11-17T00:01:00.000Z',
    );
  });

  it('returns null for an invalid duration', () => {
    expect(addBusinessTime(tokyoDesk, at('2026-11-16T09:00:00+09:00'), 'four hours')).toBe(null);
    expect(addBusinessTime(tokyoDesk, at('2026-11-16T09:00:00+09:00'), '')).toBe(null);
  });

  // Regression (fixed): overlapping slots are counted twice. 09:00-18:00 and 17:00-20:00 are open 09:00-20:00, so
  // 10 open hours from 09:00 end at 19:00 JST; the code counts 17:00-18:00 twice and answers 18:00.
  it('counts an hour covered by two overlapping slots once', () => {
    const plan: PlanHours = {
      ...tokyoDesk,
      weekly: [
        { days: [1], open: '09:00', close: '18:00' },
        { days: [1], open: '17:00', close: '20:00' },
      ],
    };
    expect(iso(addBusinessTime(plan, at('2026-11-16T09:00:00+09:00'), 'PT10H'))).toBe(
      '2026-11-16T10:00:00.000Z',
    );
  });
});

describe('a schedule that never opens', () => {
  it('is never open, has no next opening and no due time', () => {
    expect(isOpenAt(neverOpen, at('2026-11-16T10:00:00+09:00'))).toBe(false);
    expect(nextOpening(neverOpen, at('2026-11-16T10:00:00+09:00'))).toBe(null);
    expect(addBusinessTime(neverOpen, at('2026-11-16T10:00:00+09:00'), 'PT1H')).toBe(null);
  });
});
