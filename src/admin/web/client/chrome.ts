import { ApiError } from './api.js';
import { type PageContext, pageContext } from './context.js';
import { fill, h } from './dom.js';

// Starting a page: the sign-out button, then the page's own drawing; a page that fails says so.

export type PageRender = (app: HTMLElement, ctx: PageContext) => Promise<void>;

export function start(pages: Record<string, PageRender>): void {
  const ctx = pageContext();
  document.getElementById('sign-out')?.addEventListener('click', async () => {
    // A token made stale by a sign-in in another tab is refused: fetch the session's current one and retry.
    const ok = await ctx.api.send('POST', '/admin/sign-out').then(
      () => true,
      () => false,
    );
    if (!ok) {
      const fresh = await fetch('/admin/session', { credentials: 'same-origin' }).then((r) => r.json());
      if (fresh?.csrfToken)
        await fetch('/admin/sign-out', { method: 'POST', headers: { 'x-csrf-token': fresh.csrfToken } });
    }
    location.assign('/admin/sign-in');
  });
  const app = document.getElementById('app')!;
  const render = pages[ctx.page];
  if (!render) return;
  // data-ready: the page has drawn, or said why it could not.
  const ready = () => {
    document.body.dataset.ready = 'true';
  };
  render(app, ctx).then(ready, (err: unknown) => {
    const message = err instanceof ApiError ? err.message : ctx.t('error.unexpected');
    fill(app, h('p', { class: 'error', role: 'alert' }, message));
    ready();
  });
}
