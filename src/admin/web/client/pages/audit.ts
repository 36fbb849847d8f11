import type { PageContext } from '../context.js';
import { field, fill, h, input, table, when } from '../dom.js';

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
}

const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v, null, 1));

// Who changed what and when, with the record before and after; filtered by kind of record.
export async function auditPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const url = new URL(location.href);
  const entity = url.searchParams.get('entity') ?? '';
  const q = new URLSearchParams({ limit: '200' });
  if (entity) q.set('entity', entity);
  const { items } = await ctx.api.get<{ items: AuditEntry[] }>(`/api/audit?${q}`);
  const filter = input({ type: 'text', name: 'entity', value: entity });
  const form = h(
    'form',
    { method: 'get', class: 'filters' },
    field(t('audit.entity'), filter),
    h('button', { type: 'submit' }, t('filter')),
  );
  fill(
    app,
    form,
    table<AuditEntry>(
      t('nav.audit'),
      [
        { label: t('case.at'), cell: (e) => when(e.at, ctx.locale) },
        { label: t('audit.actor'), cell: (e) => e.actor },
        { label: t('audit.action'), cell: (e) => e.action },
        { label: t('audit.entity'), cell: (e) => `${e.entity}${e.entityId ? ` ${e.entityId}` : ''}` },
        { label: t('audit.before'), cell: (e) => h('pre', { class: 'json' }, json(e.before)) },
        { label: t('audit.after'), cell: (e) => h('pre', { class: 'json' }, json(e.after)) },
      ],
      items,
      t('list.none'),
    ),
  );
}
