import { DateTime } from 'luxon';
import type { PlanHours, ResponseTargets } from '../db/schema.js';
import { addBusinessTime, nextOpening } from './business-hours.js';

// What a plan promises, shown before customers see it: the due time of each priority for a few telling
// arrival times (a weekday morning, a Friday evening and night, the evening before the next holiday, a Sunday).

export interface DueSample {
  /** What the arrival is, e.g. "Friday 17:30". */
  label: string;
  /** The same as a key a page translates. */
  kind: 'weekday' | 'friday_evening' | 'friday_night' | 'before_holiday' | 'sunday';
  arrival: Date;
  /** When the desk starts on it (now, or its next opening). */
  opensAt: Date | null;
  due: Partial<Record<keyof ResponseTargets, Date | null>>;
}

const priorities = ['urgent', 'high', 'normal', 'low'] as const;

/** The next date on or after `from` whose ISO weekday is `weekday`, at `hh:mm` in the plan's zone. */
function next(from: DateTime, weekday: number, hour: number, minute: number): DateTime {
  const days = (weekday - from.weekday + 7) % 7 || 7;
  return from.plus({ days }).set({ hour, minute, second: 0, millisecond: 0 });
}

/** The evening before the plan's next listed holiday (or none when it lists none ahead). */
function beforeHoliday(hours: PlanHours, from: DateTime): DateTime | null {
  const today = from.toISODate() ?? '';
  const upcoming = [...hours.holidays].sort().find((d) => d > today);
  if (!upcoming) return null;
  return DateTime.fromISO(upcoming, { zone: hours.timeZone })
    .minus({ days: 1 })
    .set({ hour: 17, minute: 30 });
}

export function dueSamples(hours: PlanHours, targets: ResponseTargets, now = new Date()): DueSample[] {
  const from = DateTime.fromJSDate(now, { zone: hours.timeZone });
  const arrivals: [string, DueSample['kind'], DateTime | null][] = [
    ['Monday 10:00', 'weekday', next(from, 1, 10, 0)],
    ['Friday 17:30', 'friday_evening', next(from, 5, 17, 30)],
    ['Friday 19:00', 'friday_night', next(from, 5, 19, 0)],
    ['the evening before the next holiday, 17:30', 'before_holiday', beforeHoliday(hours, from)],
    ['Sunday 12:00', 'sunday', next(from, 7, 12, 0)],
  ];
  return arrivals.flatMap(([label, kind, at]) => {
    if (!at) return [];
    const arrival = at.toJSDate();
    const due = Object.fromEntries(
      priorities.filter((p) => targets[p]).map((p) => [p, addBusinessTime(hours, arrival, targets[p]!)]),
    );
    return [{ label, kind, arrival, opensAt: nextOpening(hours, arrival), due }];
  });
}
