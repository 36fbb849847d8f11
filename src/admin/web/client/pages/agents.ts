import type { PageContext } from '../context.js';
import { resourcePage } from '../resource.js';

interface Agent extends Record<string, unknown> {
  id: string;
  email: string;
  name: string;
  role: 'agent' | 'admin';
  active: boolean;
  locale: string;
}

export async function agentsPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  await resourcePage<Agent>(app, ctx, {
    path: '/api/agents',
    idOf: (a) => a.id,
    update: 'PATCH',
    columns: [
      { label: t('field.name'), cell: (a) => a.name },
      { label: t('field.email'), cell: (a) => a.email },
      { label: t('field.role'), cell: (a) => t(`role.${a.role}`) },
      { label: t('field.active'), cell: (a) => t(a.active ? 'yes' : 'no') },
    ],
    fields: [
      { name: 'email', kind: 'email', required: true },
      { name: 'name', kind: 'text', required: true },
      {
        name: 'role',
        kind: 'select',
        options: [
          ['agent', t('role.agent')],
          ['admin', t('role.admin')],
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
      { name: 'active', kind: 'checkbox' },
      { name: 'password', kind: 'password', hint: 'agents.passwordHint' },
    ],
  });
}
