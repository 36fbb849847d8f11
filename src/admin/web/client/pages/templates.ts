import type { PageContext } from '../context.js';
import { fill, h, table, when } from '../dom.js';

interface TemplateItem {
  key: string;
  locale: string;
  channel: string;
  version: number;
  updatedBy: string | null;
  updatedAt: string | null;
  failure: { version: number; error: string; count: number; lastAt: string } | null;
}

export async function templatesPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const { items } = await ctx.api.get<{ items: TemplateItem[] }>('/api/templates');
  const failing = items.filter((i) => i.failure);
  const href = (i: TemplateItem) => `/admin/templates/${i.key}/${i.locale}?channel=${i.channel}`;
  fill(
    app,
    failing.length
      ? h(
          'div',
          { class: 'error', role: 'alert' },
          h('p', {}, t('templates.failing')),
          h(
            'ul',
            {},
            failing.map((i) =>
              h(
                'li',
                {},
                h('a', { href: href(i) }, `${i.key} / ${i.locale} / ${i.channel}`),
                `: ${i.failure!.error}`,
              ),
            ),
          ),
        )
      : null,
    table<TemplateItem>(
      t('nav.templates'),
      [
        { label: t('templates.key'), cell: (i) => h('a', { href: href(i) }, t(`templateKey.${i.key}`)) },
        { label: t('templates.locale'), cell: (i) => i.locale },
        { label: t('templates.channel'), cell: (i) => t(`channel.${i.channel}`) },
        {
          label: t('templates.version'),
          cell: (i) => (i.version === 0 ? t('templates.shipped') : String(i.version)),
        },
        {
          label: t('templates.updated'),
          cell: (i) => (i.updatedAt ? `${when(i.updatedAt, ctx.locale)} · ${i.updatedBy ?? ''}` : '—'),
        },
      ],
      items,
      '—',
    ),
  );
}
