import type { PageContext } from '../context.js';
import { resourcePage } from '../resource.js';

interface Customer extends Record<string, unknown> {
  id: string;
  name: string;
  domains: string[];
  relationship: 'direct' | 'indirect';
  indirectProviderEmail: string | null;
  planId: string | null;
}

export async function customersPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const plans = await ctx.api.get<{ items: { id: string; name: string }[] }>('/api/plans');
  const planName = new Map(plans.items.map((p) => [p.id, p.name]));
  await resourcePage<Customer>(app, ctx, {
    path: '/api/customers',
    idOf: (c) => c.id,
    // PATCH: fields the form does not show (the provider desk's language) stay as they are.
    update: 'PATCH',
    columns: [
      { label: t('field.name'), cell: (c) => c.name },
      { label: t('field.domains'), cell: (c) => c.domains.join(', ') },
      { label: t('field.relationship'), cell: (c) => t(`relationship.${c.relationship}`) },
      {
        label: t('field.planId'),
        cell: (c) => (c.planId ? (planName.get(c.planId) ?? '—') : t('customers.defaultPlan')),
      },
    ],
    fields: [
      { name: 'name', kind: 'text', required: true },
      { name: 'domains', kind: 'list' },
      {
        name: 'relationship',
        kind: 'select',
        options: [
          ['direct', t('relationship.direct')],
          ['indirect', t('relationship.indirect')],
        ],
      },
      { name: 'indirectProviderEmail', kind: 'email', hint: 'customers.providerHint' },
      { name: 'tenantId', kind: 'text', hint: 'customers.tenantHint' },
      {
        name: 'planId',
        kind: 'select',
        options: [
          ['', t('customers.defaultPlan')],
          ...plans.items.map((p): [string, string] => [p.id, p.name]),
        ],
      },
      {
        name: 'locale',
        kind: 'select',
        options: [
          ['ja', '日本語'],
          ['en', 'English'],
        ],
      },
      { name: 'timeZone', kind: 'text' },
    ],
  });
}
