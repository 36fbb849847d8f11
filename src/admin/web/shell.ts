import { type AdminLocale, translate } from './i18n.js';
import { adminPages } from './pages.js';

// The frame every admin page shares: language, menu (the pages this user may open), who is signed in,
// the session's CSRF token for the script's calls, and an empty main area the page's script fills.
// Every value written into it is escaped.

export interface ShellUser {
  name: string;
  email: string;
  role: 'agent' | 'admin';
  locale: AdminLocale;
  csrfToken: string;
}

interface ShellProps {
  page: string;
  user: ShellUser | null;
  locale?: AdminLocale;
  params: object;
}

const escapeHtml = (s: string) => s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

function menu(user: ShellUser, current: string): string {
  const t = (k: string) => escapeHtml(translate(user.locale, k));
  const items = adminPages
    .filter((p) => p.nav && (user.role === 'admin' || !p.admin))
    .map((p) => {
      // A detail page (`case`, `plan`, `template`) marks its list (`cases`, ...) as where the user is.
      const here = p.name === current || p.name === `${current}s` ? ' aria-current="page"' : '';
      return `<li><a href="${p.path}"${here}>${t(`nav.${p.name}`)}</a></li>`;
    });
  if (user.role === 'admin')
    items.push(
      `<li><a href="/admin/queues">${t('nav.queues')}</a></li>`,
      `<li><a href="/api/docs">${t('nav.api')}</a></li>`,
    );
  return `<nav aria-label="${t('nav.label')}"><ul>${items.join('')}</ul></nav>
<div class="who"><span>${escapeHtml(user.name)} (${t(`role.${user.role}`)})</span>
<button type="button" id="sign-out">${t('signOut')}</button></div>`;
}

export function renderShell({ page, user, locale, params }: ShellProps): string {
  const lang = user?.locale ?? locale ?? 'ja';
  const bundle = adminPages.find((p) => p.name === page)?.bundle ?? 'admin';
  const title = escapeHtml(translate(lang, `title.${page}`));
  const data = {
    page,
    locale: lang,
    role: user?.role ?? '',
    me: user?.email ?? '',
    csrf: user?.csrfToken ?? '',
    params: JSON.stringify(params),
  };
  const attrs = Object.entries(data)
    .map(([k, v]) => `data-${k}="${escapeHtml(v)}"`)
    .join(' ');
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${escapeHtml(translate(lang, 'product'))}</title>
<link rel="stylesheet" href="/admin/assets/admin.css">
<script src="/admin/assets/${bundle}.js" defer></script>
</head>
<body ${attrs}>
<a class="skip" href="#main">${escapeHtml(translate(lang, 'skip'))}</a>
<header>${user ? menu(user, page) : `<span class="brand">${escapeHtml(translate(lang, 'product'))}</span>`}</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
<div id="app"><p class="muted">${escapeHtml(translate(lang, 'loading'))}</p></div>
</main>
</body>
</html>`;
}
