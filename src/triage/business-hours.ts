import holidayJp from '@holiday-jp/holiday_jp';
import { DateTime, Duration } from 'luxon';
import type { PlanHours } from '../db/schema.js';

// Business-time arithmetic on a plan's schedule, in the plan's own time zone (DST included, via luxon).

const maxDaysAhead = 400;

function isHoliday(hours: PlanHours, day: DateTime): boolean {
  const iso = day.toISODate() ?? '';
  if (hours.holidays.includes(iso)) return true;
  if (hours.nationalHolidays === 'JP') return Object.hasOwn(holidayJp.holidays, iso);
  return false;
}

function minutesOf(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** Wall-clock time on a day (so a DST change that day keeps "09:00" at nine), minutes may pass midnight. */
function wallClock(day: DateTime, minutes: number): DateTime {
  const m = minutes % 1440;
  return day.plus({ days: Math.floor(minutes / 1440) }).set({ hour: Math.floor(m / 60), minute: m % 60 });
}

/** The open intervals of one calendar day (start of day in the plan's zone), sorted. */
function intervalsOn(hours: PlanHours, day: DateTime): Array<[DateTime, DateTime]> {
  if (hours.always) return [[day, day.plus({ days: 1 })]];
  if (isHoliday(hours, day)) return [];
  const out: Array<[DateTime, DateTime]> = [];
  for (const slot of hours.weekly) {
    if (!slot.days.includes(day.weekday)) continue;
    const open = minutesOf(slot.open);
    let close = minutesOf(slot.close);
    if (close <= open) close += 24 * 60; // "22:00"-"06:00" runs past midnight
    out.push([wallClock(day, open), wallClock(day, close)]);
  }
  return out.sort((a, b) => a[0].toMillis() - b[0].toMillis());
}

/** An open interval as epoch milliseconds. */
type Span = readonly [number, number];

// A day's intervals depend only on the schedule and the date: computed once with luxon (zone rules, DST,
// holidays), then reused, because triage asks the same few questions of the same few plans all day.
const dayCache = new Map<string, Span[]>();
const dayCacheMax = 20_000;

function spansOnDate(hours: PlanHours, scheduleKey: string, date: Date): Span[] {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const d = date.getUTCDate();
  const key = `${scheduleKey}|${y}-${m}-${d}`;
  let spans = dayCache.get(key);
  if (!spans) {
    const day = DateTime.fromObject({ year: y, month: m, day: d }, { zone: hours.timeZone });
    spans = intervalsOn(hours, day).map(([s, e]): Span => [s.toMillis(), e.toMillis()]);
    if (dayCache.size >= dayCacheMax) dayCache.clear();
    dayCache.set(key, spans);
  }
  return spans;
}

function* intervalsFrom(hours: PlanHours, at: number): Generator<Span> {
  // Start a day early: a slot that runs past midnight may still be open now.
  // Where slots overlap (also across midnight), the later one starts where the earlier ended, so no open
  // minute is counted twice; touching intervals stay apart, so a 24x7 desk still yields day by day.
  const scheduleKey = JSON.stringify(hours);
  const local = DateTime.fromMillis(at, { zone: hours.timeZone });
  let lastEnd = at;
  for (let i = -1; i <= maxDaysAhead; i++) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + i));
    for (const [s, e] of spansOnDate(hours, scheduleKey, date)) {
      const start = Math.max(s, lastEnd);
      if (e <= start) continue;
      yield [start, e];
      lastEnd = e;
    }
  }
}

export function isOpenAt(hours: PlanHours, at: Date): boolean {
  const t = at.getTime();
  for (const [s] of intervalsFrom(hours, t)) return s === t;
  return false;
}

/** When the desk opens next (now, if it is open); null if the schedule never opens. */
export function nextOpening(hours: PlanHours, at: Date): Date | null {
  for (const [s] of intervalsFrom(hours, at.getTime())) return new Date(s);
  return null;
}

/**
 * `at` plus a response target (ISO 8601) in the plan's business time. Days (and weeks, five business days
 * each) are business days: the same business time on the next business day, so P1D from Wednesday 15:00 is
 * Thursday 15:00 and from Friday 17:00 is Monday 17:00. Hours and minutes count open time only: PT4H from
 * Friday 16:00 on a 09:00-18:00 desk is Monday 11:00. Counting starts at the next opening when the desk is
 * closed. Null for what is not such a duration (months and years are not).
 */
export function addBusinessTime(hours: PlanHours, at: Date, isoDuration: string): Date | null {
  const d = Duration.fromISO(isoDuration);
  if (!d.isValid || d.years || d.months) return null;
  const start = nextOpening(hours, at);
  if (!start) return null;
  let t = start.getTime();
  const businessDays = (d.weeks ?? 0) * 5 + (d.days ?? 0);
  for (let i = 0; i < businessDays; i++) {
    const next = sameTimeNextBusinessDay(hours, t);
    if (next === null) return null;
    t = next;
  }
  let left = Duration.fromObject({
    hours: d.hours,
    minutes: d.minutes,
    seconds: d.seconds,
    milliseconds: d.milliseconds,
  }).as('milliseconds');
  if (left === 0) return new Date(t);
  for (const [s, e] of intervalsFrom(hours, t)) {
    const span = e - s;
    if (left <= span) return new Date(s + left);
    left -= span;
  }
  return null;
}

/**
 * The same wall-clock time on the next day the desk opens; on a day whose hours do not cover that time,
 * the nearest open moment of that day (its opening, the next slot, or its closing).
 */
function sameTimeNextBusinessDay(hours: PlanHours, t: number): number | null {
  const local = DateTime.fromMillis(t, { zone: hours.timeZone });
  const minutes = local.hour * 60 + local.minute;
  const scheduleKey = JSON.stringify(hours);
  for (let k = 1; k <= maxDaysAhead; k++) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + k));
    const spans = spansOnDate(hours, scheduleKey, date);
    if (!spans.length) continue;
    const day = DateTime.fromObject(
      { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() },
      { zone: hours.timeZone },
    );
    const want = wallClock(day, minutes).toMillis() + local.second * 1000 + local.millisecond;
    for (const [s, e] of spans) if (want <= e) return Math.max(want, s);
    return spans.at(-1)![1];
  }
  return null;
}
