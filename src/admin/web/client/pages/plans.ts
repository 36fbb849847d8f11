import type { PageContext } from '../context.js';
import { fill, h, table } from '../dom.js';
import type { Plan } from './plan-form.js';

export async function plansPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const { items } = await ctx.api.get<{ items: Plan[] }>('/api/plans');
  fill(
    app,
    h('p', {}, h('a', { href: '/admin/plans/new', class: 'button' }, t('plans.new'))),
    table<Plan>(
      t('nav.plans'),
      [
        { label: t('plan.name'), cell: (p) => h('a', { href: `/admin/plans/${p.id}` }, p.name) },
        { label: t('plan.supportType'), cell: (p) => p.supportType },
        { label: t('plan.timeZone'), cell: (p) => p.hours.timeZone },
        { label: t('plan.holidays'), cell: (p) => String(p.hours.holidays.length) },
      ],
      items,
      t('plans.none'),
    ),
  );
}
