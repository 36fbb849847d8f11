import type { PageContext } from '../context.js';
import { type Child, fill, h, table, when } from '../dom.js';
import { caseConsole } from './case-console.js';
import type { CaseSummary } from './cases.js';

// One case: its facts, the conversation (text; a mail's HTML only inside a sandboxed frame that runs no
// script and loads nothing), the triage record, the sends and the Microsoft request; then the console.

interface Message {
  id: string;
  direction: 'in' | 'out';
  author: string;
  channel: string;
  subject: string | null;
  text: string;
  html: string | null;
  from: string | null;
  fromName: string | null;
  internal: boolean;
  attachments: { id: string; filename: string | null; size: number }[];
  at: string;
}

export interface CaseDetail extends CaseSummary {
  microsoftRequest: { number: string | null; openedAt: string; status: string } | null;
  messages: Message[];
  triage: { step: string; result: string | null; reason: string | null; at: string }[];
  sends: {
    id: string;
    template: string | null;
    channel: string;
    to: string | null;
    status: string;
    error: string | null;
    at: string;
  }[];
  escalation: { target: string; to: string | null; status: string; at: string } | null;
}

// Inside the frame: nothing may run or load; styles the mail carries may apply.
const framePolicy =
  '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">';

function htmlFrame(html: string, title: string): HTMLIFrameElement {
  const frame = h('iframe', { sandbox: '', title, class: 'mail-html', referrerpolicy: 'no-referrer' });
  frame.srcdoc = `<!doctype html><html><head><meta charset="utf-8">${framePolicy}</head><body>${html}</body></html>`;
  return frame;
}

function messageItem(m: Message, ctx: PageContext): HTMLElement {
  const { t } = ctx;
  const body = h('div', { class: 'text' }, m.text || '—');
  const holder = h('div', {}, body);
  const toggle =
    m.html &&
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        'aria-pressed': 'false',
        onclick: (ev: Event) => {
          const b = ev.currentTarget as HTMLButtonElement;
          const showHtml = b.getAttribute('aria-pressed') !== 'true';
          b.setAttribute('aria-pressed', String(showHtml));
          b.textContent = t(showHtml ? 'case.showText' : 'case.showHtml');
          fill(holder, showHtml ? htmlFrame(m.html!, t('case.htmlTitle')) : body);
        },
      },
      t('case.showHtml'),
    );
  return h(
    'article',
    { class: `message ${m.direction} ${m.internal ? 'internal' : ''}` },
    h(
      'header',
      {},
      h('strong', {}, t(`author.${m.author}`), m.author === 'agent' && m.fromName ? ` ${m.fromName}` : ''),
      m.internal ? ` (${t('case.internal')})` : '',
      ' · ',
      m.from ?? '',
      ' · ',
      h('time', { datetime: m.at }, when(m.at, ctx.locale)),
      ' ',
      toggle,
    ),
    holder,
    m.attachments.length
      ? h(
          'p',
          { class: 'muted' },
          `${t('case.attachments')}: `,
          m.attachments.map((a) => `${a.filename ?? '—'} (${a.size} B)`).join(', '),
        )
      : null,
  );
}

function facts(c: CaseDetail, ctx: PageContext): HTMLElement {
  const { t } = ctx;
  const row = (k: string, v: Child) => [h('dt', {}, t(k)), h('dd', {}, v)];
  return h(
    'dl',
    { class: 'facts' },
    row('case.customer', c.customer?.name ?? t('case.unknownCustomer')),
    row('case.contact', `${c.contact.name ?? ''} <${c.contact.email}>`),
    row('case.verified', t(c.verified ? 'yes' : 'no')),
    row('case.status', t(`status.${c.status}`)),
    row('case.priority', t(`priority.${c.priority}`)),
    row('case.category', c.category ? t(`category.${c.category}`) : '—'),
    row('case.handling', c.handling ? t(`handling.${c.handling}`) : '—'),
    row('case.channel', c.channel),
    row('case.assignee', c.assignee ? `${c.assignee.name} <${c.assignee.email}>` : '—'),
    row('case.due', c.duePausedAt ? t('case.duePaused') : when(c.dueAt, ctx.locale)),
    row(
      'case.microsoft',
      c.microsoftRequest
        ? `${c.microsoftRequest.number ?? '—'} · ${t(`msStatus.${c.microsoftRequest.status}`)} · ${when(c.microsoftRequest.openedAt, ctx.locale)}`
        : '—',
    ),
    c.escalation
      ? row(
          'case.escalation',
          [t(`handling.${c.escalation.target}`), c.escalation.to, t(`escalation.${c.escalation.status}`)]
            .filter(Boolean)
            .join(' · '),
        )
      : null,
  );
}

export async function casePage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const number = ctx.params.number ?? '';
  const c = await ctx.api.get<CaseDetail>(`/api/cases/${encodeURIComponent(number)}`);
  document.title = `#${c.number} ${c.subject} · ${document.title}`;
  const h1 = document.querySelector('main h1');
  if (h1) h1.textContent = `#${c.number} ${c.subject}`;
  fill(
    app,
    facts(c, ctx),
    h('h2', {}, t('case.messages')),
    h(
      'div',
      { class: 'messages' },
      c.messages.map((m) => messageItem(m, ctx)),
    ),
    caseConsole(c, ctx, () => casePage(app, ctx)),
    h('h2', {}, t('case.triage')),
    table(
      t('case.triage'),
      [
        { label: t('case.step'), cell: (r) => r.step },
        { label: t('case.result'), cell: (r) => r.result ?? '—' },
        { label: t('case.reason'), cell: (r) => r.reason ?? '—' },
        { label: t('case.at'), cell: (r) => when(r.at, ctx.locale) },
      ],
      c.triage,
      '—',
    ),
    h('h2', {}, t('case.sends')),
    table(
      t('case.sends'),
      [
        { label: t('send.template'), cell: (s) => s.template ?? t('send.answer') },
        { label: t('send.to'), cell: (s) => s.to ?? '—' },
        { label: t('send.status'), cell: (s) => t(`sendStatus.${s.status}`) },
        { label: t('send.error'), cell: (s) => s.error ?? '' },
        { label: t('case.at'), cell: (s) => when(s.at, ctx.locale) },
      ],
      c.sends,
      '—',
    ),
  );
}
