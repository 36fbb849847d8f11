import { DateTime } from 'luxon';
import type { ContactMethod, PlanHours, PlanPrice } from '../db/schema.js';
import type { Locale } from '../vocabulary.js';

// The four facts a charging partner must tell its customer (support type, hours, contact method, price),
// made readable in the customer's locale and time zone.

export interface PlanLike {
  name: string;
  support_type: string;
  hours: PlanHours;
  contact_methods: ContactMethod[];
  price: PlanPrice;
}

export interface SupportFacts {
  type: string;
  hours: string;
  contactMethods: string;
  contacts: Array<{ kind: string; label: string; value: string }>;
  price: string;
  planName: string;
}

const dayNames: Record<Locale, string[]> = {
  ja: ['月', '火', '水', '木', '金', '土', '日'],
  en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
};
const contactLabels: Record<Locale, Record<ContactMethod['kind'], string>> = {
  ja: { email: 'メール', phone: '電話', chat: 'チャット', web: 'Web' },
  en: { email: 'Email', phone: 'Phone', chat: 'Chat', web: 'Web' },
};
const unitWords: Record<Locale, Record<string, string>> = {
  ja: { month: '月額', year: '年額', incident: '1 件あたり', hour: '1 時間あたり' },
  en: { month: 'per month', year: 'per year', incident: 'per incident', hour: 'per hour' },
};

export function zoneLabel(zone: string, locale: Locale): string {
  if (locale === 'ja' && zone === 'Asia/Tokyo') return '日本時間';
  return zone;
}

function dayList(days: number[], locale: Locale): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const names = dayNames[locale];
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const from = names[sorted[i]! - 1]!;
    const to = names[sorted[j]! - 1]!;
    runs.push(
      j - i >= 2
        ? `${from}${locale === 'ja' ? '〜' : '–'}${to}`
        : sorted
            .slice(i, j + 1)
            .map((d) => names[d - 1])
            .join(locale === 'ja' ? '・' : ', '),
    );
    i = j + 1;
  }
  return runs.join(locale === 'ja' ? '・' : ', ');
}

/** Weekly slots moved into the reader's zone (a slot may move to another weekday), grouped by time. */
function slotsInZone(hours: PlanHours, zone: string, now: Date): Map<string, number[]> {
  const monday = DateTime.fromJSDate(now).setZone(hours.timeZone).startOf('week');
  const groups = new Map<string, number[]>();
  for (const slot of hours.weekly) {
    for (const d of slot.days) {
      const day = monday.plus({ days: d - 1 });
      const [oh = 0, om = 0] = slot.open.split(':').map(Number);
      const [ch = 0, cm = 0] = slot.close.split(':').map(Number);
      // plus() rather than set(): a closing time of "24:00" is midnight at the end of that day.
      const openMinutes = oh * 60 + om;
      let closeMinutes = ch * 60 + cm;
      if (closeMinutes <= openMinutes) closeMinutes += 24 * 60;
      const open = day.plus({ minutes: openMinutes }).setZone(zone);
      const close = day.plus({ minutes: closeMinutes }).setZone(zone);
      const closeText =
        close.hour === 0 && close.minute === 0 && close.startOf('day') > open.startOf('day')
          ? '24:00'
          : close.toFormat('H:mm');
      const key = `${open.toFormat('H:mm')}|${closeText}`;
      groups.set(key, [...(groups.get(key) ?? []), open.weekday]);
    }
  }
  return groups;
}

// The readable hours of a plan change only with the plan, the reader and the week (time-zone rules): cache.
const hoursText = new Map<string, string>();

export function formatHours(hours: PlanHours, locale: Locale, zone: string, now = new Date()): string {
  const week = DateTime.fromJSDate(now).setZone(hours.timeZone).startOf('week').toISODate();
  const key = `${locale}|${zone}|${week}|${JSON.stringify(hours)}`;
  const cached = hoursText.get(key);
  if (cached !== undefined) return cached;
  const text = formatHoursUncached(hours, locale, zone, now);
  if (hoursText.size > 2000) hoursText.clear();
  hoursText.set(key, text);
  return text;
}

function formatHoursUncached(hours: PlanHours, locale: Locale, zone: string, now: Date): string {
  const tz = zoneLabel(zone, locale);
  if (hours.always) return locale === 'ja' ? '24時間365日' : '24 hours a day, 7 days a week';
  const slots = [...slotsInZone(hours, zone, now)].map(([key, days]) => {
    const [open, close] = key.split('|');
    return locale === 'ja'
      ? `${dayList(days, locale)} ${open}〜${close}`
      : `${dayList(days, locale)} ${open}–${close}`;
  });
  if (!slots.length) return locale === 'ja' ? '受付時間の設定がありません' : 'no service hours set';
  const closed: string[] = [];
  if (hours.nationalHolidays) closed.push(locale === 'ja' ? '祝日' : 'public holidays');
  if (hours.holidays.length) closed.push(locale === 'ja' ? '指定休業日' : 'listed closing days');
  if (locale === 'ja') {
    return `${slots.join('、')} (${tz})${closed.length ? `、${closed.join('・')}を除く` : ''}`;
  }
  return `${slots.join('; ')} (${tz} time)${closed.length ? `, except ${closed.join(' and ')}` : ''}`;
}

const currencyFormats = new Map<string, Intl.NumberFormat>();
function currencyFormat(locale: Locale, currency: string): Intl.NumberFormat {
  const key = `${locale}/${currency}`;
  let f = currencyFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale === 'ja' ? 'ja-JP' : 'en-US', { style: 'currency', currency });
    currencyFormats.set(key, f);
  }
  return f;
}

export function formatPrice(price: PlanPrice, locale: Locale): string {
  if ('included' in price)
    return locale === 'ja'
      ? 'ご契約に含まれています (追加料金なし)'
      : 'included in your subscription (no extra charge)';
  const amount = currencyFormat(locale, price.currency).format(price.amount);
  const unit = unitWords[locale][price.unit] ?? price.unit;
  const tax =
    price.taxIncluded === undefined
      ? ''
      : locale === 'ja'
        ? price.taxIncluded
          ? ' (税込)'
          : ' (税別)'
        : price.taxIncluded
          ? ' (tax included)'
          : ' (excluding tax)';
  return locale === 'ja' ? `${unit} ${amount}${tax}` : `${amount} ${unit}${tax}`;
}

export function formatDateTime(at: Date, locale: Locale, zone: string): string {
  const t = DateTime.fromJSDate(at).setZone(zone).setLocale(locale);
  const tz = zoneLabel(zone, locale);
  return locale === 'ja'
    ? `${t.toFormat('yyyy年M月d日')}(${dayNames.ja[t.weekday - 1]}) ${t.toFormat('H:mm')} (${tz})`
    : `${t.toFormat('ccc, d LLL yyyy, HH:mm')} (${tz})`;
}

export function supportFacts(plan: PlanLike, locale: Locale, zone: string, now = new Date()): SupportFacts {
  const contacts = plan.contact_methods.map((c) => ({
    kind: c.kind,
    label: contactLabels[locale][c.kind] ?? c.kind,
    value: c.value,
  }));
  return {
    type: plan.support_type,
    hours: formatHours(plan.hours, locale, zone, now),
    contactMethods: contacts.map((c) => `${c.label}: ${c.value}`).join(locale === 'ja' ? ' / ' : ' / '),
    contacts,
    price: formatPrice(plan.price, locale),
    planName: plan.name,
  };
}
