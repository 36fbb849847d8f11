import type { PageContext } from '../context.js';
import { fill, h, table, when } from '../dom.js';

interface Mailbox {
  key: string;
  protocol: string;
  host: string;
  port: number;
  tls: string;
  user: string;
  folder: string;
  source: string;
  health: string;
  lastUid: number | null;
  checkedAt: string | null;
}

export async function mailboxesPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const { items } = await ctx.api.get<{ items: Mailbox[] }>('/api/mailboxes');
  fill(
    app,
    table<Mailbox>(
      t('nav.mailboxes'),
      [
        { label: t('mailboxes.server'), cell: (m) => `${m.protocol}://${m.host}:${m.port} (${m.tls})` },
        { label: t('mailboxes.user'), cell: (m) => m.user },
        { label: t('mailboxes.folder'), cell: (m) => m.folder },
        {
          label: t('mailboxes.health'),
          cell: (m) => h('span', { class: m.health === 'ok' ? 'ok' : 'warn' }, m.health),
        },
        {
          label: t('mailboxes.last'),
          cell: (m) => (m.lastUid === null ? '—' : `UID ${m.lastUid} · ${when(m.checkedAt, ctx.locale)}`),
        },
      ],
      items,
      t('mailboxes.none'),
    ),
    h('p', { class: 'muted' }, t('mailboxes.howTo')),
  );
}
