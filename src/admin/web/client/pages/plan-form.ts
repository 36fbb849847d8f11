import type { PageContext } from '../context.js';
import { type Child, field, fill, h, input, select } from '../dom.js';

// The plan's form: name and support type, opening hours by weekday, holidays (a list, plus a country's
// national holidays), contact methods, price (with or without tax) and response targets.

export interface Plan {
  id?: string;
  name: string;
  supportType: string;
  hours: {
    timeZone: string;
    always: boolean;
    weekly: { days: number[]; open: string; close: string }[];
    holidays: string[];
    nationalHolidays?: 'JP' | null;
  };
  contactMethods: { kind: string; value: string }[];
  price: { amount: number; currency: string; unit: string; taxIncluded?: boolean } | { included: true };
  responseTargets: Partial<Record<'urgent' | 'high' | 'normal' | 'low', string>>;
}

export const blankPlan = (): Plan => ({
  name: '',
  supportType: '',
  hours: {
    timeZone: 'Asia/Tokyo',
    always: false,
    weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }],
    holidays: [],
    nationalHolidays: 'JP',
  },
  contactMethods: [{ kind: 'email', value: '' }],
  price: { amount: 0, currency: 'JPY', unit: 'month', taxIncluded: false },
  responseTargets: { urgent: 'PT1H', high: 'PT4H', normal: 'P1D', low: 'P3D' },
});

const text = (value: string, set: (v: string) => void, attrs: Record<string, string> = {}) =>
  input({
    type: 'text',
    value,
    oninput: (ev: Event) => set((ev.target as HTMLInputElement).value),
    ...attrs,
  });

function weeklyRows(p: Plan, ctx: PageContext, redraw: () => void): Child {
  const { t } = ctx;
  return p.hours.weekly.map((w, i) =>
    h(
      'fieldset',
      { class: 'row' },
      h('legend', {}, t('plan.slot', { n: i + 1 })),
      [1, 2, 3, 4, 5, 6, 7].map((d) =>
        h(
          'label',
          { class: 'inline' },
          input({
            type: 'checkbox',
            checked: w.days.includes(d),
            onchange: (ev: Event) => {
              const on = (ev.target as HTMLInputElement).checked;
              w.days = on ? [...w.days, d].sort() : w.days.filter((x) => x !== d);
            },
          }),
          t(`weekday.${d}`),
        ),
      ),
      field(
        t('plan.open'),
        text(
          w.open,
          (v) => {
            w.open = v;
          },
          { pattern: '\\d\\d:\\d\\d', size: '5' },
        ),
      ),
      field(
        t('plan.close'),
        text(
          w.close,
          (v) => {
            w.close = v;
          },
          { pattern: '\\d\\d:\\d\\d', size: '5' },
        ),
      ),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            p.hours.weekly.splice(i, 1);
            redraw();
          },
        },
        t('remove'),
      ),
    ),
  );
}

function holidayList(p: Plan, ctx: PageContext, redraw: () => void): Child {
  const { t } = ctx;
  const date = input({ type: 'date', 'aria-label': t('plan.holidayDate') });
  return [
    h(
      'ul',
      { class: 'holidays' },
      [...p.hours.holidays].sort().map((d) =>
        h(
          'li',
          {},
          d,
          ' ',
          h(
            'button',
            {
              type: 'button',
              'aria-label': t('plan.removeHoliday', { date: d }),
              onclick: () => {
                p.hours.holidays = p.hours.holidays.filter((x) => x !== d);
                redraw();
              },
            },
            t('remove'),
          ),
        ),
      ),
    ),
    h(
      'div',
      { class: 'inline-form' },
      date,
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            if (date.value && !p.hours.holidays.includes(date.value)) p.hours.holidays.push(date.value);
            redraw();
          },
        },
        t('plan.addHoliday'),
      ),
    ),
  ];
}

function contactRows(p: Plan, ctx: PageContext, redraw: () => void): Child {
  const { t } = ctx;
  return p.contactMethods.map((c, i) =>
    h(
      'div',
      { class: 'row' },
      field(
        t('plan.contactKind'),
        select(
          ['email', 'phone', 'chat', 'web'].map((k) => [k, t(`contact.${k}`)]),
          c.kind,
          {
            onchange: (ev: Event) => {
              c.kind = (ev.target as HTMLSelectElement).value;
            },
          },
        ),
      ),
      field(
        t('plan.contactValue'),
        text(c.value, (v) => {
          c.value = v;
        }),
      ),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            p.contactMethods.splice(i, 1);
            redraw();
          },
        },
        t('remove'),
      ),
    ),
  );
}

function priceFields(p: Plan, ctx: PageContext, redraw: () => void): Child {
  const { t } = ctx;
  const included = 'included' in p.price;
  const toggle = input({
    type: 'checkbox',
    checked: included,
    onchange: (ev: Event) => {
      p.price = (ev.target as HTMLInputElement).checked
        ? { included: true }
        : { amount: 0, currency: 'JPY', unit: 'month', taxIncluded: false };
      redraw();
    },
  });
  if ('included' in p.price) return h('label', { class: 'inline' }, toggle, t('plan.priceIncluded'));
  const price = p.price;
  const tax = price.taxIncluded === undefined ? '' : price.taxIncluded ? 'in' : 'ex';
  return [
    h('label', { class: 'inline' }, toggle, t('plan.priceIncluded')),
    field(
      t('plan.amount'),
      input({
        type: 'number',
        min: '0',
        value: String(price.amount),
        oninput: (ev: Event) => {
          price.amount = Number((ev.target as HTMLInputElement).value);
        },
      }),
    ),
    field(
      t('plan.currency'),
      text(
        price.currency,
        (v) => {
          price.currency = v.toUpperCase();
        },
        { size: '3' },
      ),
    ),
    field(
      t('plan.unit'),
      select(
        ['month', 'year', 'incident', 'hour'].map((u) => [u, t(`unit.${u}`)]),
        price.unit,
        {
          onchange: (ev: Event) => {
            price.unit = (ev.target as HTMLSelectElement).value;
          },
        },
      ),
    ),
    field(
      t('plan.tax'),
      select(
        [
          ['ex', t('plan.taxExcluded')],
          ['in', t('plan.taxIncluded')],
          ['', t('plan.taxUnsaid')],
        ],
        tax,
        {
          onchange: (ev: Event) => {
            const v = (ev.target as HTMLSelectElement).value;
            price.taxIncluded = v === '' ? undefined : v === 'in';
          },
        },
      ),
    ),
  ];
}

/** A setter of one field, for an input's handler. */
function set<T, K extends keyof T>(o: T, k: K) {
  return (v: T[K]) => {
    o[k] = v;
  };
}

const action = (label: string, run: () => void) => h('button', { type: 'button', onclick: run }, label);

function hoursSection(p: Plan, ctx: PageContext, redraw: () => void): HTMLElement {
  const { t } = ctx;
  const always = input({ type: 'checkbox', checked: p.hours.always });
  always.addEventListener('change', () => {
    p.hours.always = always.checked;
  });
  return h(
    'fieldset',
    {},
    h('legend', {}, t('plan.hours')),
    field(t('plan.timeZone'), text(p.hours.timeZone, set(p.hours, 'timeZone'))),
    h('label', { class: 'inline' }, always, t('plan.always')),
    weeklyRows(p, ctx, redraw),
    action(t('plan.addSlot'), () => {
      p.hours.weekly.push({ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' });
      redraw();
    }),
  );
}

function holidaySection(p: Plan, ctx: PageContext, redraw: () => void): HTMLElement {
  const { t } = ctx;
  const national = select(
    [
      ['', t('plan.nationalNone')],
      ['JP', t('plan.nationalJP')],
    ],
    p.hours.nationalHolidays ?? '',
  );
  national.addEventListener('change', () => {
    p.hours.nationalHolidays = national.value === 'JP' ? 'JP' : null;
  });
  return h(
    'fieldset',
    {},
    h('legend', {}, t('plan.holidays')),
    field(t('plan.national'), national),
    holidayList(p, ctx, redraw),
  );
}

function targetSection(p: Plan, ctx: PageContext): HTMLElement {
  const { t } = ctx;
  return h(
    'fieldset',
    {},
    h('legend', {}, t('plan.targets')),
    (['urgent', 'high', 'normal', 'low'] as const).map((k) =>
      field(
        t(`priority.${k}`),
        text(p.responseTargets[k] ?? '', (v) => set(p.responseTargets, k)(v || undefined), { size: '6' }),
        t('plan.targetHint'),
      ),
    ),
  );
}

export function planForm(p: Plan, ctx: PageContext): HTMLElement {
  const { t } = ctx;
  const host = h('div', {});
  const redraw = () =>
    fill(
      host,
      field(t('plan.name'), text(p.name, set(p, 'name'), { required: 'true' })),
      field(t('plan.supportType'), text(p.supportType, set(p, 'supportType'), { class: 'wide' })),
      hoursSection(p, ctx, redraw),
      holidaySection(p, ctx, redraw),
      h(
        'fieldset',
        {},
        h('legend', {}, t('plan.contactMethods')),
        contactRows(p, ctx, redraw),
        action(t('plan.addContact'), () => {
          p.contactMethods.push({ kind: 'email', value: '' });
          redraw();
        }),
      ),
      h('fieldset', {}, h('legend', {}, t('plan.price')), priceFields(p, ctx, redraw)),
      targetSection(p, ctx),
    );
  redraw();
  return host;
}
