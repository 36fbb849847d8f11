import type { PageContext } from '../context.js';
import { fill, h } from '../dom.js';

// The admin's start page: what is left to set up (in the order it must be done, each a link), then what
// needs attention now.

interface Items<T = unknown> {
  items: T[];
}

export async function dashboardPage(app: HTMLElement, ctx: PageContext) {
  const { api, t } = ctx;
  const [profile, plans, customers, mailboxes, chat, sends, quarantine, rejected, templates] =
    await Promise.all([
      api.get<{ name: string; defaultPlanId: string | null }>('/api/profile'),
      api.get<Items>('/api/plans'),
      api.get<Items>('/api/customers'),
      api.get<Items<{ health: { intake: string; send: string } }>>('/api/mailboxes'),
      api.get<{ allowedOrigins: string[] }>('/api/chat/settings'),
      api.get<Items>('/api/sends?status=failed&limit=100'),
      api.get<Items>('/api/quarantine?limit=100'),
      api.get<Items>('/api/agent-mail/rejected?limit=100'),
      api.get<Items<{ failure: unknown }>>('/api/templates'),
    ]);
  const steps: [string, string, boolean][] = [
    ['profile', '/admin/profile', Boolean(profile.name && profile.defaultPlanId)],
    ['plan', '/admin/plans', plans.items.length > 0],
    ['customer', '/admin/customers', customers.items.length > 0],
    ['mailbox', '/admin/mailboxes', mailboxes.items.length > 0],
    ['chat', '/admin/chat', chat.allowedOrigins.length > 0],
  ];
  // A mailbox that cannot be read or answered (a secret expired, a permission missing): named on its page.
  const fine = new Set(['ok', 'unknown', 'throttled']);
  const failing = mailboxes.items.filter((m) => !fine.has(m.health.intake) || !fine.has(m.health.send));
  const attention: [string, string, number][] = [
    ['mailboxes', '/admin/mailboxes', failing.length],
    ['sends', '/admin/sends', sends.items.length],
    ['quarantine', '/admin/quarantine', quarantine.items.length],
    ['agentMail', '/admin/agent-mail', rejected.items.length],
    ['templates', '/admin/templates', templates.items.filter((i) => i.failure).length],
  ];
  const doneCount = steps.filter((s) => s[2]).length;
  fill(
    app,
    h(
      'section',
      { 'aria-labelledby': 'setup-h' },
      h('h2', { id: 'setup-h' }, t('dashboard.setup', { done: doneCount, all: steps.length })),
      h(
        'ol',
        { class: 'checklist' },
        steps.map(([key, href, done]) =>
          h(
            'li',
            { class: done ? 'done' : 'todo' },
            h('span', { class: 'mark' }, done ? t('dashboard.done') : t('dashboard.todo')),
            ' ',
            h('a', { href }, t(`dashboard.step.${key}`)),
          ),
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'attention-h' },
      h('h2', { id: 'attention-h' }, t('dashboard.attention')),
      h(
        'ul',
        {},
        attention.map(([key, href, n]) =>
          h('li', { class: n ? 'warn' : '' }, h('a', { href }, t(`dashboard.attention.${key}`, { n }))),
        ),
      ),
    ),
  );
}
