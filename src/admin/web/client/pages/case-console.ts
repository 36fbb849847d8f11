import { categories } from '../../../../vocabulary.js';
import type { PageContext } from '../context.js';
import { field, h, input, onSubmit, select } from '../dom.js';
import type { CaseDetail } from './case.js';

// The agent's console on a case: an answer (commands such as #note on its first lines, as in a mail
// answer), and status, priority, category, assignee and hand-over, each through the same code as a mail
// answer. A new category or hand-over is kept as a correction of triage.

function answerForm(c: CaseDetail, ctx: PageContext, reload: () => Promise<void>) {
  const { t } = ctx;
  const text = h('textarea', { rows: 8, required: true, name: 'text' });
  const note = input({ type: 'checkbox', name: 'note' });
  const status = h('div', { class: 'status' });
  const form = h(
    'form',
    { class: 'answer' },
    field(t('console.answer'), text, t('console.answerHint')),
    h('label', { class: 'inline' }, note, ' ', t('console.note')),
    h('button', { type: 'submit' }, t('console.send')),
    status,
  );
  onSubmit(form, async () => {
    const body = note.checked ? `#note\n${text.value}` : text.value;
    const ok = await ctx.guard(status, async () => {
      await ctx.api.send('POST', `/api/cases/${c.number}/replies`, { text: body });
    });
    if (ok) await reload();
  });
  return form;
}

function commandForm(c: CaseDetail, ctx: PageContext, reload: () => Promise<void>) {
  const { t } = ctx;
  const status = select(
    ['', 'open', 'pending', 'resolved', 'closed'].map((s) => [s, s ? t(`status.${s}`) : t('console.keep')]),
    '',
  );
  const priority = select(
    ['', 'low', 'normal', 'high', 'urgent'].map((p) => [p, p ? t(`priority.${p}`) : t('console.keep')]),
    '',
  );
  const category = select(
    ['', ...categories].map((x) => [x, x ? t(`category.${x}`) : t('console.keep')]),
    '',
  );
  const assignee = input({ type: 'email', value: c.assignee?.email ?? '', autocomplete: 'off' });
  const handover = select(
    ['', 'microsoft', 'provider', 'partner'].map((x) => [x, x ? t(`handling.${x}`) : t('console.keep')]),
    '',
  );
  const request = input({ type: 'text', inputmode: 'numeric', pattern: '\\d{6,24}' });
  const out = h('div', { class: 'status' });
  const form = h(
    'form',
    { class: 'grid' },
    field(t('case.status'), status),
    field(t('case.priority'), priority),
    field(t('case.category'), category, t('console.categoryHint')),
    field(t('case.assignee'), assignee, t('console.assigneeHint')),
    field(t('console.handover'), handover),
    field(t('console.request'), request),
    h('button', { type: 'submit' }, t('console.apply')),
    out,
  );
  onSubmit(form, async () => {
    const body: Record<string, unknown> = {};
    if (status.value) body.status = status.value;
    if (priority.value) body.priority = priority.value;
    if (category.value && category.value !== c.category) body.category = category.value;
    const email = assignee.value.trim().toLowerCase();
    if (email !== (c.assignee?.email ?? '')) body.assignee = email || null;
    if (handover.value)
      body.handover = { target: handover.value, requestNumber: request.value.trim() || null };
    if (!Object.keys(body).length) return ctx.say(out, t('console.nothing'));
    if (
      await ctx.guard(out, () => ctx.api.send('PATCH', `/api/cases/${c.number}`, body).then(() => undefined))
    )
      await reload();
  });
  return form;
}

export function caseConsole(c: CaseDetail, ctx: PageContext, reload: () => Promise<void>) {
  return h(
    'section',
    { class: 'console', 'aria-labelledby': 'console-h' },
    h('h2', { id: 'console-h' }, ctx.t('console.title')),
    answerForm(c, ctx, reload),
    h('h3', {}, ctx.t('console.change')),
    commandForm(c, ctx, reload),
  );
}
