import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config.js';
import { locales } from '../../vocabulary.js';
import { identityHashFor } from './identity.js';
import type { ChatIdentitySecret } from './identity-secret.js';
import { buildWidget, type WidgetBundle } from './widget-build.js';

// GET /widget.js (the embeddable script) and GET / (a demo page that embeds it).

const escapeHtml = (s: string) => s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

const demoQuery = z.object({
  email: z.email().max(320).optional().catch(undefined),
  name: z.string().trim().max(100).optional().catch(undefined),
  locale: z.enum(locales).optional().catch(undefined),
});

export function chatPageRoutes(app: FastifyInstance, config: Config, identity: ChatIdentitySecret) {
  let bundle: Promise<WidgetBundle> | null = null;

  app.get('/widget.js', async (_req, reply) => {
    bundle ??= buildWidget().catch((err) => {
      bundle = null;
      throw err;
    });
    const { code } = await bundle;
    return reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(code);
  });

  app.get('/', async (req, reply) => {
    const q = demoQuery.parse(req.query ?? {});
    const locale = q.locale ?? 'ja';
    const signedIn = Boolean(config.chatDemoSignIn && q.email);
    const attrs: Record<string, string> = { 'data-locale': locale };
    if (signedIn && q.email) {
      attrs['data-email'] = q.email;
      attrs['data-identity-hash'] = identityHashFor(q.email, await identity.current());
      if (q.name) attrs['data-name'] = q.name;
    }
    const scriptAttrs = Object.entries(attrs)
      .map(([k, v]) => `${k}="${escapeHtml(v)}"`)
      .join(' ');
    const ja = locale === 'ja';
    const html = `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${ja ? 'サポート チャットのデモ' : 'Support chat demo'}</title>
<style>body{font-family:system-ui,"Hiragino Sans","Yu Gothic",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.6}
label{display:block;margin:.5rem 0}input,select{font:inherit;padding:.3rem}</style>
</head>
<body>
<h1>${ja ? 'カスタマー ポータル (デモ)' : 'Customer portal (demo)'}</h1>
<p>${
      signedIn
        ? `${ja ? 'サインイン中' : 'Signed in as'}: <strong id="who">${escapeHtml(q.name ? `${q.name} <${q.email}>` : (q.email ?? ''))}</strong>`
        : ja
          ? 'サインインしていません (未確認の訪問者としてチャットできます)。'
          : 'Not signed in (you can chat as an unverified visitor).'
    }</p>
${
  config.chatDemoSignIn
    ? `<form method="get" action="/">
<label>${ja ? 'メールアドレス' : 'Email'} <input name="email" type="email" required value="${escapeHtml(q.email ?? '')}" placeholder="taro@contoso.co.jp"></label>
<label>${ja ? '氏名' : 'Name'} <input name="name" value="${escapeHtml(q.name ?? '')}"></label>
<label>${ja ? '言語' : 'Language'} <select name="locale"><option value="ja"${ja ? ' selected' : ''}>日本語</option><option value="en"${ja ? '' : ' selected'}>English</option></select></label>
<button type="submit">${ja ? 'サンプル顧客としてサインイン' : 'Sign in as a sample customer'}</button>
</form>
<p><small>${ja ? 'このデモはサーバー側で ID ハッシュを計算します。本番ではパートナーのポータルが CHAT_IDENTITY_SECRET で計算します。' : 'This demo computes the identity hash on the server; in production the partner portal computes it with CHAT_IDENTITY_SECRET.'}</small></p>`
    : ''
}
${config.chatDemoSignIn ? '' : `<p><small>${ja ? 'サンプル顧客としてのサインインは CHAT_DEMO_SIGN_IN=true で有効になります (デモ専用)。' : 'Signing in as a sample customer needs CHAT_DEMO_SIGN_IN=true (demos only).'}</small></p>`}
<script src="/widget.js" ${scriptAttrs}></script>
</body>
</html>`;
    return reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      )
      .header('x-content-type-options', 'nosniff')
      .send(html);
  });
}

/** The widget bundle's size, for the build script. */
export { buildWidget };
