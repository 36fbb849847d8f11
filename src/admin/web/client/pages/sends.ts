import type { PageContext } from '../context.js';
import { fill, h, table, when } from '../dom.js';

interface Send {
  id: string;
  caseNumber: number;
  template: string | null;
  channel: string;
  to: string | null;
  status: string;
  error: string | null;
  attempts: number;
  lastAttemptAt: string | null;
}

// Sends that failed for good: why, and Retry (the same outbox row, so it is still sent at most once).
export async function sendsPage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const status = h('div', { class: 'status' });
  const { items } = await api.get<{ items: Send[] }>('/api/sends?status=failed&limit=200');
  const retry = async (s: Send) => {
    if (await ctx.guard(status, () => api.send('POST', `/api/sends/${s.id}/retry`).then(() => undefined))) {
      await sendsPage(app, ctx);
      ctx.say(app.querySelector('.status')!, t('sends.retried'), 'ok');
    }
  };
  fill(
    app,
    status,
    table<Send>(
      t('nav.sends'),
      [
        {
          label: t('agentMail.case'),
          cell: (s) => h('a', { href: `/admin/cases/${s.caseNumber}` }, `#${s.caseNumber}`),
        },
        { label: t('send.template'), cell: (s) => s.template ?? t('send.answer') },
        { label: t('send.to'), cell: (s) => s.to ?? s.channel },
        { label: t('send.error'), cell: (s) => s.error ?? '—' },
        { label: t('sends.attempts'), cell: (s) => String(s.attempts) },
        { label: t('case.at'), cell: (s) => when(s.lastAttemptAt, ctx.locale) },
        {
          label: '',
          cell: (s) => h('button', { type: 'button', onclick: () => retry(s) }, t('sends.retry')),
        },
      ],
      items,
      t('sends.none'),
    ),
  );
}
