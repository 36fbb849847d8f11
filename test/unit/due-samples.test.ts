import { describe, expect, it } from 'vitest';
import type { PlanHours } from '../../src/db/schema.js';
import { dueSamples } from '../../src/triage/due-samples.js';

// The plan page's promise: due times for a few telling arrival times, in business time.

const hours: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: false,
  weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }],
  holidays: ['2026-12-31', '2027-01-01'],
};
const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

describe('dueSamples', () => {
  it('shows a weekday, Friday evening and night, the evening before a holiday and a Sunday', () => {
    // Sunday 2026-12-06 12:00 JST.
    const samples = dueSamples(hours, { high: 'PT4H', normal: 'P1D' }, new Date('2026-12-06T03:00:00Z'));
    expect(
      samples.map((s) => ({
        label: s.label,
        arrival: iso(s.arrival),
        high: iso(s.due.high),
        normal: iso(s.due.normal),
      })),
    ).toEqual([
      // Monday 10:00 -> 14:00 the same day; one business day -> Tuesday 10:00.
      {
        label: 'Monday 10:00',
        arrival: '2026-12-07T01:00:00.000Z',
        high: '2026-12-07T05:00:00.000Z',
        normal: '2026-12-08T01:00:00.000Z',
      },
      // Friday 17:30 -> half an hour Friday, 3.5 h Monday -> 12:30; P1D -> Monday 17:30.
      {
        label: 'Friday 17:30',
        arrival: '2026-12-11T08:30:00.000Z',
        high: '2026-12-14T03:30:00.000Z',
        normal: '2026-12-14T08:30:00.000Z',
      },
      // Friday 19:00, after hours: counted from Monday 09:00.
      {
        label: 'Friday 19:00',
        arrival: '2026-12-11T10:00:00.000Z',
        high: '2026-12-14T04:00:00.000Z',
        normal: '2026-12-15T00:00:00.000Z',
      },
      // Wednesday 12-30 17:30, then 12-31 and 01-01 closed, a weekend: Monday 01-04.
      {
        label: 'the evening before the next holiday, 17:30',
        arrival: '2026-12-30T08:30:00.000Z',
        high: '2027-01-04T03:30:00.000Z',
        normal: '2027-01-04T08:30:00.000Z',
      },
      // Sunday: counted from Monday 09:00.
      {
        label: 'Sunday 12:00',
        arrival: '2026-12-13T03:00:00.000Z',
        high: '2026-12-14T04:00:00.000Z',
        normal: '2026-12-15T00:00:00.000Z',
      },
    ]);
    expect(iso(samples[1]!.opensAt)).toBe('2026-12-11T08:30:00.000Z');
    expect(iso(samples[2]!.opensAt)).toBe('2026-12-14T00:00:00.000Z');
    expect(iso(samples[4]!.opensAt)).toBe('2026-12-14T00:00:00.000Z');
    expect(samples[0]!.due.urgent).toBeUndefined();
  });

  it('leaves out the holiday sample when the plan lists no holiday ahead', () => {
    const samples = dueSamples(
      { ...hours, holidays: [] },
      { normal: 'P1D' },
      new Date('2026-12-06T03:00:00Z'),
    );
    expect(samples.map((s) => s.label)).toEqual([
      'Monday 10:00',
      'Friday 17:30',
      'Friday 19:00',
      'Sunday 12:00',
    ]);
  });
});
