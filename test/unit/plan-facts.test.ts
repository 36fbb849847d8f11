import { describe, expect, it } from 'vitest';
import type { PlanHours } from '../../src/db/schema.js';
import {
  formatDateTime,
  formatHours,
  formatPrice,
  type PlanLike,
  supportFacts,
  zoneLabel,
} from '../../src/replies/plan-facts.js';

// Separators used by the code: ja ranges "〜" (U+301C) and lists "・"/"、"; en ranges "–" (U+2013, en dash).
// Yen: ja-JP formats JPY with the full-width "￥" (U+FFE5), en-US with "¥" (U+00A5).

const tokyoDesk: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: false,
  weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }],
  holidays: [],
  nationalHolidays: null,
};
// A Wednesday in November: Tokyo is UTC+9, London is on GMT (UTC+0).
const november = new Date('2026-11-25T03:00:00Z');
// A Wednesday in July: London is on BST (UTC+1).
const july = new Date('2026-07-01T03:00:00Z');

describe('formatHours: weekday ranges', () => {
  it('Mon-Fri in Japanese and in English', () => {
    expect(formatHours(tokyoDesk, 'ja', 'Asia/Tokyo', november)).toBe('月〜金 9:00〜18:00 (日本時間)');
    expect(formatHours(tokyoDesk, 'en', 'Asia/Tokyo', november)).toBe('Mon–Fri 9:00–18:00 (Asia/Tokyo time)');
  });

  it('lists scattered days and pairs instead of making ranges', () => {
    const mwf: PlanHours = { ...tokyoDesk, weekly: [{ days: [1, 3, 5], open: '09:00', close: '18:00' }] };
    expect(formatHours(mwf, 'en', 'Asia/Tokyo', november)).toBe('Mon, Wed, Fri 9:00–18:00 (Asia/Tokyo time)');
    const noWed: PlanHours = {
      ...tokyoDesk,
      weekly: [{ days: [1, 2, 4, 5], open: '09:00', close: '18:00' }],
    };
    expect(formatHours(noWed, 'ja', 'Asia/Tokyo', november)).toBe('月・火・木・金 9:00〜18:00 (日本時間)');
  });

  it('makes a range from three consecutive days', () => {
    const monWed: PlanHours = {
      ...tokyoDesk,
      weekly: [{ days: [3, 1, 2, 2], open: '10:00', close: '16:30' }],
    };
    expect(formatHours(monWed, 'en', 'Asia/Tokyo', november)).toBe('Mon–Wed 10:00–16:30 (Asia/Tokyo time)');
    expect(formatHours(monWed, 'ja', 'Asia/Tokyo', november)).toBe('月〜水 10:00〜16:30 (日本時間)');
  });

  it('shows several slots', () => {
    const withSaturday: PlanHours = {
      ...tokyoDesk,
      weekly: [
        { days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' },
        { days: [6], open: '10:00', close: '15:00' },
      ],
    };
    expect(formatHours(withSaturday, 'ja', 'Asia/Tokyo', november)).toBe(
      '月〜金 9:00〜18:00、土 10:00〜15:00 (日本時間)',
    );
    expect(formatHours(withSaturday, 'en', 'Asia/Tokyo', november)).toBe(
      'Mon–Fri 9:00–18:00; Sat 10:00–15:00 (Asia/Tokyo time)',
    );
  });

  it('shows an overnight slot as written', () => {
    const night: PlanHours = {
      ...tokyoDesk,
      weekly: [{ days: [1, 2, 3, 4, 5], open: '22:00', close: '06:00' }],
    };
    expect(formatHours(night, 'en', 'Asia/Tokyo', november)).toBe('Mon–Fri 22:00–6:00 (Asia/Tokyo time)');
  });

  // Regression (fixed): the admin API accepts "24:00" as a closing time, but luxon's set({ hour: 24 }) rolls over to
  // 0:00, so a round-the-clock weekday desk is told to customers as open "0:00–0:00".
  it('shows a 00:00-24:00 slot with its closing time 24:00, not as 0:00-0:00', () => {
    const allDay: PlanHours = {
      ...tokyoDesk,
      weekly: [{ days: [1, 2, 3, 4, 5], open: '00:00', close: '24:00' }],
    };
    expect(formatHours(allDay, 'en', 'Asia/Tokyo', november)).toBe('Mon–Fri 0:00–24:00 (Asia/Tokyo time)');
    expect(formatHours(allDay, 'ja', 'Asia/Tokyo', november)).toBe('月〜金 0:00〜24:00 (日本時間)');
  });

  it('always open', () => {
    const always: PlanHours = {
      ...tokyoDesk,
      always: true,
      nationalHolidays: 'JP',
      holidays: ['2026-12-29'],
    };
    expect(formatHours(always, 'ja', 'Asia/Tokyo', november)).toBe('24時間365日');
    expect(formatHours(always, 'en', 'Europe/London', november)).toBe('24 hours a day, 7 days a week');
  });

  it('no slots at all', () => {
    const none: PlanHours = { ...tokyoDesk, weekly: [] };
    expect(formatHours(none, 'ja', 'Asia/Tokyo', november)).toBe('受付時間の設定がありません');
    expect(formatHours(none, 'en', 'Asia/Tokyo', november)).toBe('no service hours set');
  });
});

describe('formatHours: holidays note', () => {
  it('national holidays', () => {
    const plan: PlanHours = { ...tokyoDesk, nationalHolidays: 'JP' };
    expect(formatHours(plan, 'ja', 'Asia/Tokyo', november)).toBe('月〜金 9:00〜18:00 (日本時間)、祝日を除く');
    expect(formatHours(plan, 'en', 'Asia/Tokyo', november)).toBe(
      'Mon–Fri 9:00–18:00 (Asia/Tokyo time), except public holidays',
    );
  });

  it('listed closing days', () => {
    const plan: PlanHours = { ...tokyoDesk, holidays: ['2026-12-29', '2026-12-30'] };
    expect(formatHours(plan, 'ja', 'Asia/Tokyo', november)).toBe(
      '月〜金 9:00〜18:00 (日本時間)、指定休業日を除く',
    );
    expect(formatHours(plan, 'en', 'Asia/Tokyo', november)).toBe(
      'Mon–Fri 9:00–18:00 (Asia/Tokyo time), except listed closing days',
    );
  });

  it('both', () => {
    const plan: PlanHours = { ...tokyoDesk, nationalHolidays: 'JP', holidays: ['2026-12-29'] };
    expect(formatHours(plan, 'ja', 'Asia/Tokyo', november)).toBe(
      '月〜金 9:00〜18:00 (日本時間)、祝日・指定休業日を除く',
    );
    expect(formatHours(plan, 'en', 'Asia/Tokyo', november)).toBe(
      'Mon–Fri 9:00–18:00 (Asia/Tokyo time), except public holidays and listed closing days',
    );
  });
});

describe('formatHours: a Tokyo plan read by a customer in Europe/London', () => {
  it('moves the slot by 9 hours in winter (GMT)', () => {
    // 09:00 JST = 00:00 UTC = 00:00 GMT; 18:00 JST = 09:00 GMT; same weekdays.
    expect(formatHours(tokyoDesk, 'en', 'Europe/London', november)).toBe(
      'Mon–Fri 0:00–9:00 (Europe/London time)',
    );
    expect(formatHours(tokyoDesk, 'ja', 'Europe/London', november)).toBe('月〜金 0:00〜9:00 (Europe/London)');
  });

  it('moves the slot by 8 hours in summer (BST)', () => {
    expect(formatHours(tokyoDesk, 'en', 'Europe/London', july)).toBe(
      'Mon–Fri 1:00–10:00 (Europe/London time)',
    );
  });

  it('moves a morning slot to the previous weekday', () => {
    // Mon-Fri 07:00-12:00 JST = Sun-Thu 22:00-03:00 GMT.
    const early: PlanHours = {
      ...tokyoDesk,
      weekly: [{ days: [1, 2, 3, 4, 5], open: '07:00', close: '12:00' }],
    };
    expect(formatHours(early, 'en', 'Europe/London', november)).toBe(
      'Mon–Thu, Sun 22:00–3:00 (Europe/London time)',
    );
    expect(formatHours(early, 'ja', 'Europe/London', november)).toBe(
      '月〜木・日 22:00〜3:00 (Europe/London)',
    );
  });

  it('keeps the holidays note after moving the slots', () => {
    const plan: PlanHours = { ...tokyoDesk, nationalHolidays: 'JP' };
    expect(formatHours(plan, 'en', 'Europe/London', november)).toBe(
      'Mon–Fri 0:00–9:00 (Europe/London time), except public holidays',
    );
  });
});

describe('formatPrice', () => {
  it('included in the subscription', () => {
    expect(formatPrice({ included: true }, 'ja')).toBe('ご契約に含まれています (追加料金なし)');
    expect(formatPrice({ included: true }, 'en')).toBe('included in your subscription (no extra charge)');
  });

  it('JPY per month', () => {
    expect(formatPrice({ amount: 50000, currency: 'JPY', unit: 'month' }, 'ja')).toBe('月額 \uffe550,000');
    expect(formatPrice({ amount: 50000, currency: 'JPY', unit: 'month' }, 'en')).toBe(
      '\u00a550,000 per month',
    );
  });

  it('says whether tax is included when the plan says so (税込 / 税別)', () => {
    const price = { amount: 50000, currency: 'JPY', unit: 'month' as const };
    expect(formatPrice({ ...price, taxIncluded: false }, 'ja')).toBe('月額 \uffe550,000 (税別)');
    expect(formatPrice({ ...price, taxIncluded: true }, 'ja')).toBe('月額 \uffe550,000 (税込)');
    expect(formatPrice({ ...price, taxIncluded: true }, 'en')).toBe('\u00a550,000 per month (tax included)');
  });

  it('JPY per incident', () => {
    expect(formatPrice({ amount: 15000, currency: 'JPY', unit: 'incident' }, 'ja')).toBe(
      '1 件あたり \uffe515,000',
    );
    expect(formatPrice({ amount: 15000, currency: 'JPY', unit: 'incident' }, 'en')).toBe(
      '\u00a515,000 per incident',
    );
  });

  it('USD per year and per hour, with cents', () => {
    expect(formatPrice({ amount: 1200.5, currency: 'USD', unit: 'year' }, 'en')).toBe('$1,200.50 per year');
    expect(formatPrice({ amount: 1200.5, currency: 'USD', unit: 'year' }, 'ja')).toBe('年額 $1,200.50');
    expect(formatPrice({ amount: 150, currency: 'USD', unit: 'hour' }, 'en')).toBe('$150.00 per hour');
    expect(formatPrice({ amount: 150, currency: 'USD', unit: 'hour' }, 'ja')).toBe('1 時間あたり $150.00');
  });

  it('zero is a price, not "included"', () => {
    expect(formatPrice({ amount: 0, currency: 'USD', unit: 'month' }, 'en')).toBe('$0.00 per month');
  });
});

describe('formatDateTime', () => {
  const mondayNineJst = new Date('2026-11-23T00:00:00Z');

  it('Japanese, Tokyo', () => {
    expect(formatDateTime(mondayNineJst, 'ja', 'Asia/Tokyo')).toBe('2026年11月23日(月) 9:00 (日本時間)');
  });

  it('English, Tokyo', () => {
    expect(formatDateTime(mondayNineJst, 'en', 'Asia/Tokyo')).toBe('Mon, 23 Nov 2026, 09:00 (Asia/Tokyo)');
  });

  it("in the reader's zone", () => {
    expect(formatDateTime(mondayNineJst, 'en', 'Europe/London')).toBe(
      'Mon, 23 Nov 2026, 00:00 (Europe/London)',
    );
    expect(formatDateTime(mondayNineJst, 'ja', 'Europe/London')).toBe(
      '2026年11月23日(月) 0:00 (Europe/London)',
    );
    // Sunday 22:30 in New York (EST) is Monday 12:30 in Tokyo.
    expect(formatDateTime(new Date('2026-11-23T03:30:00Z'), 'en', 'America/New_York')).toBe(
      'Sun, 22 Nov 2026, 22:30 (America/New_York)',
    );
  });

  it('uses the offset in force on that date (DST)', () => {
    expect(formatDateTime(new Date('2026-03-09T13:00:00Z'), 'en', 'America/New_York')).toBe(
      'Mon, 9 Mar 2026, 09:00 (America/New_York)',
    );
    expect(formatDateTime(new Date('2026-03-06T14:00:00Z'), 'ja', 'America/New_York')).toBe(
      '2026年3月6日(金) 9:00 (America/New_York)',
    );
  });
});

describe('zoneLabel', () => {
  it('says 日本時間 only for Japanese readers in Tokyo', () => {
    expect(zoneLabel('Asia/Tokyo', 'ja')).toBe('日本時間');
    expect(zoneLabel('Asia/Tokyo', 'en')).toBe('Asia/Tokyo');
    expect(zoneLabel('Europe/London', 'ja')).toBe('Europe/London');
  });
});

describe('supportFacts', () => {
  const gold: PlanLike = {
    name: 'Gold',
    support_type: 'Microsoft 365 技術サポート (Premier)',
    hours: { ...tokyoDesk, nationalHolidays: 'JP' },
    contact_methods: [
      { kind: 'email', value: 'support@example.test' },
      { kind: 'phone', value: '03-1234-5678' },
    ],
    price: { amount: 50000, currency: 'JPY', unit: 'month' },
  };

  it('gives the four facts in Japanese', () => {
    expect(supportFacts(gold, 'ja', 'Asia/Tokyo', november)).toEqual({
      type: 'Microsoft 365 技術サポート (Premier)',
      hours: '月〜金 9:00〜18:00 (日本時間)、祝日を除く',
      contactMethods: 'メール: support@example.test / 電話: 03-1234-5678',
      contacts: [
        { kind: 'email', label: 'メール', value: 'support@example.test' },
        { kind: 'phone', label: '電話', value: '03-1234-5678' },
      ],
      price: '月額 \uffe550,000',
      planName: 'Gold',
    });
  });

  it('gives the four facts in English for a reader in London', () => {
    const plan: PlanLike = {
      ...gold,
      contact_methods: [
        { kind: 'web', value: 'https://support.example.test' },
        { kind: 'chat', value: 'https://chat.example.test' },
      ],
      price: { included: true },
    };
    expect(supportFacts(plan, 'en', 'Europe/London', november)).toEqual({
      type: 'Microsoft 365 技術サポート (Premier)',
      hours: 'Mon–Fri 0:00–9:00 (Europe/London time), except public holidays',
      contactMethods: 'Web: https://support.example.test / Chat: https://chat.example.test',
      contacts: [
        { kind: 'web', label: 'Web', value: 'https://support.example.test' },
        { kind: 'chat', label: 'Chat', value: 'https://chat.example.test' },
      ],
      price: 'included in your subscription (no extra charge)',
      planName: 'Gold',
    });
  });
});
