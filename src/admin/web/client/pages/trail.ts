import type { PageContext } from '../context.js';
import { field, fill, h, input } from '../dom.js';

// The compliance trail for a period, downloaded as CSV (a plain link: the session cookie is enough for GET).
export async function trailPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const now = new Date();
  const first = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  const last = new Date(now.getFullYear(), now.getMonth(), 1);
  const iso = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const from = input({ type: 'date', name: 'from', value: iso(first), required: true });
  const to = input({ type: 'date', name: 'to', value: iso(last), required: true });
  const link = h('a', { class: 'button', download: '' }, t('trail.download'));
  const update = () => {
    link.setAttribute(
      'href',
      `/api/trail?${new URLSearchParams({ from: from.value, to: to.value, format: 'csv' })}`,
    );
  };
  from.addEventListener('change', update);
  to.addEventListener('change', update);
  update();
  fill(
    app,
    h('p', {}, t('trail.intro')),
    h('div', { class: 'filters' }, field(t('trail.from'), from), field(t('trail.to'), to)),
    h('p', {}, link),
  );
}
