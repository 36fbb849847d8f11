import type { PageContext } from '../context.js';
import { field, fill, h, select, table, when } from '../dom.js';

// The cases list: mine, unassigned, overdue or all, by status; newest first. The filter lives in the URL.

export interface CaseSummary {
  number: number;
  subject: string;
  status: string;
  priority: string;
  category: string | null;
  handling: string | null;
  channel: string;
  verified: boolean;
  customer: { id: string; name: string } | null;
  contact: { email: string; name: string | null };
  dueAt: string | null;
  duePausedAt: string | null;
  assignee: { email: string; name: string } | null;
  createdAt: string;
}

const views = ['all', 'mine', 'unassigned', 'overdue'] as const;
const statuses = ['', 'new', 'open', 'pending', 'resolved', 'closed'];

function query(view: string, status: string): string {
  const q = new URLSearchParams({ limit: '100' });
  if (view === 'mine') q.set('assignee', 'me');
  if (view === 'unassigned') q.set('assignee', 'none');
  if (view === 'overdue') q.set('overdue', 'true');
  if (status) q.set('status', status);
  return q.toString();
}

export async function casesPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const url = new URL(location.href);
  const view = views.find((v) => v === url.searchParams.get('view')) ?? 'all';
  const status = statuses.find((s) => s && s === url.searchParams.get('status')) ?? '';
  const { items } = await ctx.api.get<{ items: CaseSummary[] }>(`/api/cases?${query(view, status)}`);
  const tabs = h(
    'ul',
    { class: 'tabs' },
    views.map((v) =>
      h(
        'li',
        {},
        h(
          'a',
          {
            href: `?view=${v}${status ? `&status=${status}` : ''}`,
            'aria-current': v === view ? 'page' : null,
          },
          t(`cases.view.${v}`),
        ),
      ),
    ),
  );
  const statusSelect = select(
    statuses.map((s) => [s, s ? t(`status.${s}`) : t('cases.anyStatus')]),
    status,
    {
      onchange: (ev: Event) => {
        const s = (ev.target as HTMLSelectElement).value;
        location.assign(`?view=${view}${s ? `&status=${s}` : ''}`);
      },
    },
  );
  const rows = table<CaseSummary>(
    t('nav.cases'),
    [
      { label: '#', cell: (c) => h('a', { href: `/admin/cases/${c.number}` }, String(c.number)) },
      {
        label: t('case.subject'),
        cell: (c) => h('a', { href: `/admin/cases/${c.number}` }, c.subject || '—'),
      },
      { label: t('case.customer'), cell: (c) => c.customer?.name ?? c.contact.email },
      { label: t('case.status'), cell: (c) => t(`status.${c.status}`) },
      { label: t('case.priority'), cell: (c) => t(`priority.${c.priority}`) },
      { label: t('case.category'), cell: (c) => (c.category ? t(`category.${c.category}`) : '—') },
      { label: t('case.assignee'), cell: (c) => c.assignee?.name ?? '—' },
      { label: t('case.due'), cell: (c) => overdue(c, ctx) },
    ],
    items,
    t('cases.none'),
  );
  fill(app, tabs, h('div', { class: 'filters' }, field(t('case.status'), statusSelect)), rows);
}

function overdue(c: CaseSummary, ctx: PageContext) {
  const late =
    c.dueAt && !c.duePausedAt && ['new', 'open'].includes(c.status) && new Date(c.dueAt) < new Date();
  return h(
    'span',
    { class: late ? 'late' : '' },
    when(c.dueAt, ctx.locale),
    late ? ` (${ctx.t('cases.late')})` : '',
  );
}
