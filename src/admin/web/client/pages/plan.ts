import type { PageContext } from '../context.js';
import { fill, h, onSubmit, select, table, when } from '../dom.js';
import { blankPlan, type Plan, planForm } from './plan-form.js';

// One plan: its form, and what it promises: the due time of each priority for a few telling arrival times
// (a Friday evening, the evening before the next holiday), and the out-of-hours acknowledgement a customer
// writing at one of them would receive. Both are drawn from the saved plan, again after each save.

interface Sample {
  label: string;
  kind: string;
  arrival: string;
  opensAt: string | null;
  due: Record<string, string | null>;
}

async function promise(plan: Plan & { id: string }, ctx: PageContext, out: HTMLElement) {
  const { t, api } = ctx;
  const { samples, timeZone: zone } = await api.get<{ samples: Sample[]; timeZone: string }>(
    `/api/plans/${plan.id}/due-samples`,
  );
  const closed = samples.filter((s) => s.opensAt !== s.arrival);
  const pick = select(
    closed.map((s) => [s.arrival, t(`sample.${s.kind}`)]),
    closed.find((s) => s.kind === 'before_holiday')?.arrival ?? closed[0]?.arrival ?? '',
    { 'aria-label': t('plan.previewArrival') },
  );
  const previewOut = h('div', { class: 'preview', 'aria-live': 'polite' });
  const draw = async () => {
    if (!pick.value) return fill(previewOut, h('p', { class: 'muted' }, t('plan.alwaysOpen')));
    const tpl = await api.get<{ subject: string; body: string }>(
      `/api/templates/ack_out_of_hours/${ctx.locale}`,
    );
    const p = await api.send<{ subject: string; body: string }>(
      'POST',
      `/api/templates/ack_out_of_hours/${ctx.locale}/preview`,
      { subject: tpl.subject, body: tpl.body, planId: plan.id, at: pick.value },
    );
    fill(
      previewOut,
      h('p', { class: 'subject' }, p.subject),
      h('pre', { class: 'text', 'data-testid': 'out-of-hours-preview' }, p.body),
    );
  };
  pick.addEventListener('change', () => void draw());
  fill(
    out,
    h('h2', {}, t('plan.promise')),
    table<Sample>(
      t('plan.promise'),
      [
        {
          label: t('plan.arrival'),
          cell: (s) => `${t(`sample.${s.kind}`)} (${when(s.arrival, ctx.locale, zone)})`,
        },
        { label: t('plan.opensAt'), cell: (s) => when(s.opensAt, ctx.locale, zone) },
        ...(['urgent', 'high', 'normal', 'low'] as const).map((k) => ({
          label: t(`priority.${k}`),
          cell: (s: Sample) => when(s.due[k], ctx.locale, zone),
        })),
      ],
      samples,
      '—',
    ),
    h('h2', {}, t('plan.outOfHours')),
    pick,
    previewOut,
  );
  await draw();
}

export async function planPage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const id = ctx.params.id ?? 'new';
  const plan: Plan = id === 'new' ? blankPlan() : await api.get<Plan>(`/api/plans/${encodeURIComponent(id)}`);
  const heading = document.querySelector('main h1');
  if (heading && plan.name) heading.textContent = plan.name;
  const status = h('div', { class: 'status' });
  const promiseOut = h('section', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {},
    planForm(plan, ctx),
    h('button', { type: 'submit', class: 'primary' }, t('save')),
    status,
  );
  onSubmit(form, async () => {
    const { id: planId, ...body } = plan as Plan & { createdAt?: string; updatedAt?: string };
    delete (body as { createdAt?: string }).createdAt;
    delete (body as { updatedAt?: string }).updatedAt;
    await ctx.guard(status, async () => {
      if (!planId) {
        const created = await api.send<{ id: string }>('POST', '/api/plans', body);
        location.assign(`/admin/plans/${created.id}`);
        return;
      }
      await api.send('PUT', `/api/plans/${planId}`, body);
      ctx.say(status, t('saved'), 'ok');
      await promise({ ...plan, id: planId }, ctx, promiseOut);
    });
  });
  fill(app, h('div', { class: 'split' }, form, promiseOut));
  if (plan.id) await promise({ ...plan, id: plan.id }, ctx, promiseOut);
}
