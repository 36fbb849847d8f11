import { incidentStatuses } from '../../../../vocabulary.js';
import type { PageContext } from '../context.js';
import { when } from '../dom.js';
import { resourcePage } from '../resource.js';

interface Incident extends Record<string, unknown> {
  id: string;
  service: string;
  title: string;
  status: string;
  regions: string[];
  startedAt: string;
}

export async function incidentsPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  await resourcePage<Incident>(app, ctx, {
    path: '/api/incidents',
    idOf: (i) => i.id,
    update: 'PATCH',
    columns: [
      { label: t('field.id'), cell: (i) => i.id },
      { label: t('field.service'), cell: (i) => i.service },
      { label: t('field.title'), cell: (i) => i.title },
      { label: t('field.status'), cell: (i) => i.status },
      { label: t('field.startedAt'), cell: (i) => when(i.startedAt, ctx.locale) },
    ],
    fields: [
      { name: 'id', kind: 'text', required: true, createOnly: true, hint: 'incidents.idHint' },
      { name: 'service', kind: 'text', required: true },
      { name: 'title', kind: 'text', required: true },
      { name: 'status', kind: 'select', options: incidentStatuses.map((s): [string, string] => [s, s]) },
      { name: 'regions', kind: 'list' },
      { name: 'startedAt', kind: 'datetime' },
      { name: 'link', kind: 'url' },
    ],
  });
}
