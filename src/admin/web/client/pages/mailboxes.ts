import type { PageContext } from '../context.js';
import { h } from '../dom.js';
import { resourcePage } from '../resource.js';

// The mailboxes read and answered through: the environment's (shown, not editable) and those added here.
// Passwords are typed apart from the URLs and go into them only in the request; they never come back.

interface Mailbox extends Record<string, unknown> {
  id: string;
  name: string;
  address: string;
  kind: 'imap' | 'graph';
  imapUrl: string | null;
  smtpUrl: string | null;
  hasSecrets: boolean;
  locale: string | null;
  enabled: boolean;
  source: 'environment' | 'api';
  health: { intake: string; send: string };
}

/** A URL with the password typed beside it, if one was; a URL that does not parse is sent as typed. */
function withPassword(url: unknown, password: unknown): unknown {
  if (typeof url !== 'string' || typeof password !== 'string' || !password) return url;
  try {
    const u = new URL(url);
    u.password = encodeURIComponent(password);
    return u.toString();
  } catch {
    return url;
  }
}

function toBody(values: Record<string, unknown>): Record<string, unknown> {
  const { imapPassword, smtpPassword, ...body } = values;
  body.imapUrl = withPassword(body.imapUrl, imapPassword);
  body.smtpUrl = withPassword(body.smtpUrl, smtpPassword);
  if (body.kind === 'graph') {
    body.imapUrl = null;
    body.smtpUrl = null;
  }
  return body;
}

const state = (s: string) => h('span', { class: s === 'ok' ? 'ok' : 'warn' }, s);

export async function mailboxesPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  await resourcePage<Mailbox>(app, ctx, {
    path: '/api/mailboxes',
    idOf: (m) => m.id,
    update: 'PATCH',
    editable: (m) => m.source === 'api',
    toBody,
    columns: [
      {
        label: t('field.name'),
        cell: (m) => (m.source === 'environment' ? t('mailboxes.environment') : m.name),
      },
      { label: t('field.address'), cell: (m) => m.address },
      { label: t('field.kind'), cell: (m) => (m.kind === 'graph' ? 'Microsoft Graph' : 'IMAP / SMTP') },
      { label: t('mailboxes.intake'), cell: (m) => state(m.health.intake) },
      { label: t('mailboxes.send'), cell: (m) => state(m.health.send) },
      { label: t('field.enabled'), cell: (m) => t(m.enabled ? 'yes' : 'no') },
    ],
    fields: [
      { name: 'name', kind: 'text', required: true },
      { name: 'address', kind: 'email', required: true },
      {
        name: 'kind',
        kind: 'select',
        options: [
          ['imap', 'IMAP / SMTP'],
          ['graph', 'Microsoft Graph'],
        ],
      },
      { name: 'imapUrl', kind: 'text', hint: 'mailboxes.imapHint' },
      { name: 'imapPassword', kind: 'password', hint: 'mailboxes.passwordHint' },
      { name: 'smtpUrl', kind: 'text', hint: 'mailboxes.smtpHint' },
      { name: 'smtpPassword', kind: 'password', hint: 'mailboxes.passwordHint' },
      {
        name: 'locale',
        kind: 'select',
        options: [
          ['ja', '日本語'],
          ['en', 'English'],
        ],
      },
      { name: 'enabled', kind: 'checkbox' },
    ],
    extraActions: (m, reload) =>
      m.source === 'api'
        ? h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                if (!window.confirm(t('mailboxes.confirmDelete', { name: m.name }))) return;
                await ctx.api.send('DELETE', `/api/mailboxes/${encodeURIComponent(m.id)}`);
                await reload();
              },
            },
            t('mailboxes.delete'),
          )
        : null,
  });
}
