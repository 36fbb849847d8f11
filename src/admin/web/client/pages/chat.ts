import type { PageContext } from '../context.js';
import { fill, h } from '../dom.js';

interface ChatSettings {
  identitySecret: string;
  identitySecretSource: string;
  identityHash: string;
  allowedOrigins: string[];
  demoSignIn: boolean;
}

// What the partner's portal needs to embed the widget: the script tag and the identity secret (hidden
// until asked for).
export async function chatPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const s = await ctx.api.get<ChatSettings>('/api/chat/settings');
  const secret = h('code', { class: 'secret' }, '••••••••');
  const reveal = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        secret.textContent = s.identitySecret;
        reveal.remove();
      },
    },
    t('chat.reveal'),
  );
  const snippet = `<script src="${location.origin}/widget.js" data-locale="ja" data-email="…" data-identity-hash="…" async></script>`;
  fill(
    app,
    h('h2', {}, t('chat.embed')),
    h('pre', { class: 'text' }, snippet),
    h('h2', {}, t('chat.identity')),
    h('p', {}, t('chat.identityHelp'), ' ', h('code', {}, s.identityHash)),
    h('p', {}, secret, ' ', reveal),
    h('p', { class: 'muted' }, t('chat.source', { source: s.identitySecretSource })),
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
