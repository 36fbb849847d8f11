import type { PageContext } from '../context.js';
import { fill, h } from '../dom.js';

interface ChatSettings {
  identitySecretSource: 'CHAT_IDENTITY_SECRET' | 'generated';
  identityHash: string;
  allowedOrigins: string[];
  demoSignIn: boolean;
}

// What the partner's portal needs to embed the widget: the script tag, the allowed origins, and the identity
// secret, which is never shown again after it is made: a new one replaces the old at once.
export async function chatPage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const s = await api.get<ChatSettings>('/api/chat/settings');
  const snippet = `<script src="${location.origin}/widget.js" data-locale="ja" data-email="…" data-identity-hash="…" async></script>`;
  const out = h('div', { 'aria-live': 'polite' });
  const rotate = h('button', { type: 'button' }, t('chat.rotate'));
  rotate.addEventListener('click', async () => {
    if (!confirm(t('chat.rotateConfirm'))) return;
    await ctx.guard(out, async () => {
      const r = await api.send<{ identitySecret: string }>('POST', '/api/chat/identity-secret');
      fill(
        out,
        h('p', { role: 'status' }, t('chat.shownOnce')),
        h('p', {}, h('code', { class: 'secret' }, r.identitySecret)),
      );
    });
  });
  fill(
    app,
    h('h2', {}, t('chat.embed')),
    h('pre', { class: 'text' }, snippet),
    h('h2', {}, t('chat.identity')),
    h('p', {}, t('chat.identityHelp'), ' ', h('code', {}, s.identityHash)),
    s.identitySecretSource === 'generated'
      ? [h('p', {}, rotate), out]
      : h('p', { class: 'muted' }, t('chat.fromEnv')),
    h('h2', {}, t('chat.origins')),
    s.allowedOrigins.length
      ? h(
          'ul',
          {},
          s.allowedOrigins.map((o) => h('li', {}, o)),
        )
      : h('p', { class: 'warn' }, t('chat.noOrigins')),
  );
}
