import type { PageContext } from '../context.js';
import { field, fill, h, input, select } from '../dom.js';

// The support profile: the partner's name (signatures, greetings) and the plan of customers with none.
export async function profilePage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const [profile, plans] = await Promise.all([
    api.get<{ name: string; defaultPlanId: string | null }>('/api/profile'),
    api.get<{ items: { id: string; name: string }[] }>('/api/plans'),
  ]);
  const name = input({ type: 'text', value: profile.name, required: true, class: 'wide' });
  const plan = select(
    [['', '—'], ...plans.items.map((p): [string, string] => [p.id, p.name])],
    profile.defaultPlanId ?? '',
  );
  const status = h('div', { class: 'status' });
  const form = h(
    'form',
    { class: 'narrow' },
    field(t('profile.name'), name),
    field(t('profile.defaultPlan'), plan),
    h('button', { type: 'submit', class: 'primary' }, t('save')),
    status,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ok = await ctx.guard(status, () =>
      api
        .send('PUT', '/api/profile', { name: name.value, defaultPlanId: plan.value || null })
        .then(() => undefined),
    );
    if (ok) ctx.say(status, t('saved'), 'ok');
  });
  fill(app, form);
}
