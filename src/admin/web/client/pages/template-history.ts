import { diffLines } from 'diff';
import type { PageContext } from '../context.js';
import { fill, h, when } from '../dom.js';

// A template's versions, newest first: for each, the diff against the version before it, and a rollback
// (which saves the old text as a new version, linted like any save).

export interface TemplateVersion {
  version: number;
  subject: string;
  body: string;
  createdBy: string;
  createdAt: string | null;
}

function diffView(older: TemplateVersion, newer: TemplateVersion, ctx: PageContext): HTMLElement {
  const text = (v: TemplateVersion) => `${ctx.t('template.subject')}: ${v.subject}\n\n${v.body}\n`;
  const parts = diffLines(text(older), text(newer));
  return h(
    'pre',
    { class: 'diff', 'aria-label': ctx.t('template.diffOf', { older: older.version, newer: newer.version }) },
    parts.map((p) =>
      p.added ? h('ins', {}, p.value) : p.removed ? h('del', {}, p.value) : h('span', {}, p.value),
    ),
  );
}

export function templateHistory(
  versions: TemplateVersion[],
  ctx: PageContext,
  rollbackUrl: string,
  rolledBack: (live: TemplateVersion) => Promise<void>,
  /** Where the outcome of a rollback is said: outside this list, which is drawn again after one. */
  out: HTMLElement,
): HTMLElement[] {
  const { t } = ctx;
  const diffOut = h('div', {});
  const rows = versions.map((v, i) => {
    const older = versions[i + 1];
    const diff =
      older &&
      h(
        'button',
        {
          type: 'button',
          onclick: () =>
            fill(
              diffOut,
              h('h3', {}, t('template.diffOf', { older: older.version, newer: v.version })),
              diffView(older, v, ctx),
            ),
        },
        t('template.diff', { version: older.version }),
      );
    const rollback =
      i > 0 &&
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            const ok = await ctx.guard(out, async () => {
              await ctx.api.send('POST', rollbackUrl, { version: v.version });
            });
            if (ok) await rolledBack(v);
            if (ok) ctx.say(out, t('template.rolledBack', { version: v.version }), 'ok');
          },
        },
        t('template.rollback', { version: v.version }),
      );
    return h(
      'tr',
      {},
      h(
        'td',
        {},
        v.version === 0 ? t('templates.shipped') : String(v.version),
        i === 0 ? ` (${t('template.live')})` : '',
      ),
      h('td', {}, v.createdBy),
      h('td', {}, when(v.createdAt, ctx.locale)),
      h('td', {}, diff, ' ', rollback),
    );
  });
  return [
    h('h2', { id: 'versions-h' }, t('template.versions')),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [t('templates.version'), t('template.by'), t('template.at'), ''].map((x) =>
            h('th', { scope: 'col' }, x),
          ),
        ),
      ),
      h('tbody', {}, rows),
    ),
    diffOut,
  ];
}
