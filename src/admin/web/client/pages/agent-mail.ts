import type { PageContext } from '../context.js';
import { fill, h, table, when } from '../dom.js';

interface AgentMail {
  id: string;
  at: string;
  reason: string;
  explanation: string;
  detail: string | null;
  from: string | null;
  subject: string | null;
  caseNumber: number | null;
  agent: string | null;
  agentTold: boolean;
}

// Mail that looked like an agent's answer but was not delivered (or was dropped: out-of-office, twice sent).
export async function agentMailPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const outcome = new URL(location.href).searchParams.get('outcome') === 'dropped' ? 'dropped' : 'rejected';
  const { items } = await ctx.api.get<{ items: AgentMail[] }>(
    `/api/agent-mail/rejected?outcome=${outcome}&limit=200`,
  );
  fill(
    app,
    h(
      'ul',
      { class: 'tabs' },
      (['rejected', 'dropped'] as const).map((o) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: `?outcome=${o}`, 'aria-current': o === outcome ? 'page' : null },
            t(`agentMail.${o}`),
          ),
        ),
      ),
    ),
    table<AgentMail>(
      t('nav.agent-mail'),
      [
        { label: t('case.at'), cell: (m) => when(m.at, ctx.locale) },
        { label: t('agentMail.from'), cell: (m) => m.from ?? '—' },
        { label: t('case.subject'), cell: (m) => m.subject ?? '—' },
        {
          label: t('agentMail.case'),
          cell: (m) =>
            m.caseNumber ? h('a', { href: `/admin/cases/${m.caseNumber}` }, `#${m.caseNumber}`) : '—',
        },
        {
          label: t('case.reason'),
          cell: (m) => [m.explanation, m.detail ? h('div', { class: 'muted' }, m.detail) : null],
        },
        { label: t('agentMail.told'), cell: (m) => (m.agentTold ? (m.agent ?? t('yes')) : t('no')) },
      ],
      items,
      t('list.none'),
    ),
  );
}
