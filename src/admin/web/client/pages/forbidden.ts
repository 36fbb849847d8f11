import type { PageContext } from '../context.js';
import { fill, h } from '../dom.js';

export async function forbiddenPage(app: HTMLElement, ctx: PageContext) {
  fill(
    app,
    h('p', { role: 'alert' }, ctx.t('forbidden.text')),
    h('a', { href: '/admin/cases' }, ctx.t('nav.cases')),
  );
}
