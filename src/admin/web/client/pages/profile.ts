import type { PageContext } from '../context.js';
import { field, fill, h, input, onSubmit, select } from '../dom.js';

interface Profile {
  name: string;
  defaultPlanId: string | null;
  deskName: string;
  subjectTag: string;
  signature: string;
}

// The support profile: the partner's name, the desk's From name, the case tag in subjects, the signature
// block every template ends with, and the plan of customers with none.
export async function profilePage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const [profile, plans] = await Promise.all([
    api.get<Profile>('/api/profile'),
    api.get<{ items: { id: string; name: string }[] }>('/api/plans'),
  ]);
  const name = input({ type: 'text', value: profile.name, required: true, class: 'wide' });
  const deskName = input({ type: 'text', value: profile.deskName, class: 'wide' });
  const subjectTag = input({ type: 'text', value: profile.subjectTag, required: true });
  const signature = h('textarea', { rows: 6 });
  signature.value = profile.signature;
  const plan = select(
    [['', '—'], ...plans.items.map((p): [string, string] => [p.id, p.name])],
    profile.defaultPlanId ?? '',
  );
  const status = h('div', { class: 'status' });
  const form = h(
    'form',
    { class: 'narrow' },
    field(t('profile.name'), name),
    field(t('profile.deskName'), deskName, t('profile.deskNameHint')),
    field(t('profile.subjectTag'), subjectTag, t('profile.subjectTagHint')),
    field(t('profile.signature'), signature, t('profile.signatureHint')),
    field(t('profile.defaultPlan'), plan),
    h('button', { type: 'submit', class: 'primary' }, t('save')),
    status,
  );
  onSubmit(form, async () => {
    const body = {
      name: name.value,
      deskName: deskName.value,
      subjectTag: subjectTag.value,
      signature: signature.value,
      defaultPlanId: plan.value || null,
    };
    if (await ctx.guard(status, () => api.send('PUT', '/api/profile', body).then(() => undefined)))
      ctx.say(status, t('saved'), 'ok');
  });
  fill(app, form);
}
