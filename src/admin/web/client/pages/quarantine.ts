import type { PageContext } from '../context.js';
import { fill, h, table, when } from '../dom.js';

interface Quarantined {
  id: string;
  source: string;
  code: string;
  reason: string;
  at: string;
  rawMail: { id: string; mailbox: string; uid: number | null; size: number } | null;
}

// Mail that could not be taken in: the reason, the raw message as text, and Release (back into the intake).
export async function quarantinePage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const status = h('div', { class: 'status' });
  const rawOut = h('div', {});
  const { items } = await api.get<{ items: Quarantined[] }>('/api/quarantine?limit=200');
  const view = async (q: Quarantined) => {
    const res = await fetch(`/api/quarantine/${q.id}/raw`, { credentials: 'same-origin' });
    const text = res.ok ? await res.text() : t('quarantine.noRaw');
    fill(rawOut, h('h2', {}, t('quarantine.raw')), h('pre', { class: 'raw', tabindex: '0' }, text));
  };
  const release = async (q: Quarantined) => {
    if (
      await ctx.guard(status, () => api.send('POST', `/api/quarantine/${q.id}/release`).then(() => undefined))
    ) {
      await quarantinePage(app, ctx);
      ctx.say(app.querySelector('.status')!, t('quarantine.released'), 'ok');
    }
  };
  fill(
    app,
    status,
    table<Quarantined>(
      t('nav.quarantine'),
      [
        { label: t('case.at'), cell: (q) => when(q.at, ctx.locale) },
        { label: t('quarantine.code'), cell: (q) => q.code },
        { label: t('case.reason'), cell: (q) => q.reason },
        { label: t('quarantine.size'), cell: (q) => (q.rawMail ? `${q.rawMail.size} B` : '—') },
        {
          label: '',
          cell: (q) => [
            q.rawMail ? h('button', { type: 'button', onclick: () => view(q) }, t('quarantine.view')) : null,
            ' ',
            h('button', { type: 'button', onclick: () => release(q) }, t('quarantine.release')),
          ],
        },
      ],
      items,
      t('quarantine.none'),
    ),
    rawOut,
  );
}
