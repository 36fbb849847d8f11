import type { PageContext } from '../context.js';
import { field, fill, h, input, table } from '../dom.js';

interface Rule {
  id: string;
  name: string;
  enabled?: boolean;
  firm?: boolean;
  all?: unknown[];
  any?: unknown[];
  actions: Record<string, unknown>;
}

interface DryRun {
  evaluated: number;
  changed: number;
  changes: {
    number: number;
    subject: string;
    from: { category: string; handling: string; priority: string };
    to: { category: string; handling: string; priority: string };
    rules: string[];
  }[];
  corrections: { total: number; fixed: number; broken: number; brokenCases: number[] };
}

interface CorrectedRule {
  ruleId: string | null;
  ruleName: string | null;
  corrections: number;
  moves: { from: string; to: string; count: number }[];
}

const triple = (x: { category: string; handling: string; priority: string }) =>
  `${x.category} / ${x.handling} / ${x.priority}`;

function ruleTable(rules: Rule[], ctx: PageContext, move: (at: number, by: number) => void) {
  const { t } = ctx;
  const arrow = (r: Rule & { at: number }, by: number) =>
    h(
      'button',
      {
        type: 'button',
        'aria-label': t(by < 0 ? 'rules.up' : 'rules.down', { id: r.id }),
        onclick: () => move(r.at, by),
      },
      by < 0 ? '↑' : '↓',
    );
  return table<Rule & { at: number }>(
    t('nav.rules'),
    [
      { label: '#', cell: (r) => String(r.at + 1) },
      { label: t('rules.id'), cell: (r) => r.id },
      { label: t('rules.name'), cell: (r) => r.name },
      { label: t('rules.enabled'), cell: (r) => t(r.enabled === false ? 'no' : 'yes') },
      { label: t('rules.firm'), cell: (r) => t(r.firm ? 'yes' : 'no') },
      { label: t('rules.actions'), cell: (r) => JSON.stringify(r.actions) },
      { label: '', cell: (r) => [arrow(r, -1), arrow(r, 1)] },
    ],
    rules.map((r, at) => ({ ...r, at })),
    t('list.none'),
  );
}

function dryRunTable(r: DryRun, ctx: PageContext): HTMLElement[] {
  const { t } = ctx;
  const c = r.corrections;
  const broken = c.brokenCases.map((n) => h('a', { href: `/admin/cases/${n}` }, `#${n} `));
  return [
    h('p', {}, t('rules.dryRunResult', { evaluated: r.evaluated, changed: r.changed })),
    h(
      'p',
      {},
      t('rules.correctionsResult', { total: c.total, fixed: c.fixed, broken: c.broken }),
      ' ',
      ...broken,
    ),
    table(
      t('rules.dryRun'),
      [
        { label: '#', cell: (c) => h('a', { href: `/admin/cases/${c.number}` }, String(c.number)) },
        { label: t('case.subject'), cell: (c) => c.subject },
        { label: t('rules.from'), cell: (c) => triple(c.from) },
        { label: t('rules.to'), cell: (c) => triple(c.to) },
        { label: t('rules.matched'), cell: (c) => c.rules.join(', ') },
      ],
      r.changes,
      t('rules.noChange'),
    ),
  ];
}

/** The rules whose results agents and admins corrected most, and where they moved the cases. */
function correctedTable(items: CorrectedRule[], ctx: PageContext) {
  const { t } = ctx;
  return table<CorrectedRule>(
    t('rules.mostCorrected'),
    [
      { label: t('rules.id'), cell: (r) => r.ruleId ?? t('rules.noRule') },
      { label: t('rules.name'), cell: (r) => r.ruleName ?? '' },
      { label: t('rules.corrections'), cell: (r) => String(r.corrections) },
      {
        label: t('rules.moves'),
        cell: (r) =>
          r.moves.map((m) => `${t(`category.${m.from}`)} → ${t(`category.${m.to}`)} ×${m.count}`).join('; '),
      },
    ],
    items,
    t('rules.noCorrections'),
  );
}

/** The rules as typed, or null (and the problem said in `status`) when they are not a JSON list. */
function parseRules(text: string, ctx: PageContext, status: HTMLElement): Rule[] | null {
  try {
    const v = JSON.parse(text);
    if (!Array.isArray(v)) throw new Error(ctx.t('rules.notList'));
    return v;
  } catch (err) {
    ctx.say(status, `${ctx.t('rules.badJson')}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/** Date inputs holding last month, [1st, 1st of this month): the cases a new rule would have met. */
function lastMonth() {
  const now = new Date();
  const day = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return {
    from: input({ type: 'date', value: day(new Date(now.getFullYear(), now.getMonth() - 1, 1)) }),
    to: input({ type: 'date', value: day(new Date(now.getFullYear(), now.getMonth(), 1)) }),
  };
}

// The triage rules, first match first: the order (move up and down), each rule's text (JSON, as the API
// takes it), a dry run of the edited set against the latest cases and the corrections people made, Save (a
// new version of the set), and the rules whose results were corrected most.
export async function rulesPage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const [current, corrected] = await Promise.all([
    api.get<{ version: string; rules: Rule[] }>('/api/rules'),
    api.get<{ items: CorrectedRule[] }>('/api/corrections/rules'),
  ]);
  let rules = current.rules;
  const editor = h('textarea', { rows: 18, class: 'code', spellcheck: 'false' });
  const listOut = h('div', {});
  const status = h('div', { class: 'status' });
  const dryOut = h('div', { 'aria-live': 'polite' });
  const { from, to } = lastMonth();
  const parse = () => parseRules(editor.value, ctx, status);
  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= rules.length) return;
    [rules[i], rules[j]] = [rules[j]!, rules[i]!];
    draw();
  };
  const draw = () => {
    editor.value = JSON.stringify(rules, null, 2);
    fill(listOut, ruleTable(rules, ctx, move));
  };
  editor.addEventListener('change', () => {
    const parsed = parse();
    if (!parsed) return;
    rules = parsed;
    ctx.say(status, null);
    draw();
  });
  const dryRun = async () => {
    const parsed = parse();
    if (!parsed) return;
    await ctx.guard(status, async () => {
      const period = { from: from.value || undefined, to: to.value || undefined };
      const r = await api.send<DryRun>('POST', '/api/rules/dry-run', {
        rules: parsed,
        limit: 5000,
        ...period,
      });
      fill(dryOut, ...dryRunTable(r, ctx));
    });
  };
  const save = async () => {
    const parsed = parse();
    if (!parsed) return;
    if (
      await ctx.guard(status, () =>
        api.send('PUT', '/api/rules', { rules: parsed, baseVersion: current.version }).then(() => undefined),
      )
    ) {
      // Drawn again from the saved set, so the next save starts from its version.
      await rulesPage(app, ctx);
      ctx.say(app.querySelector('.status')!, t('saved'), 'ok');
    }
  };
  fill(
    app,
    h('p', { class: 'muted' }, t('rules.version', { version: current.version })),
    listOut,
    field(t('rules.json'), editor, t('rules.jsonHint')),
    h(
      'div',
      { class: 'actions' },
      field(t('trail.from'), from),
      field(t('trail.to'), to),
      h('button', { type: 'button', onclick: dryRun }, t('rules.dryRun')),
      ' ',
      h('button', { type: 'button', class: 'primary', onclick: save }, t('save')),
    ),
    status,
    dryOut,
    h('h2', {}, t('rules.mostCorrected')),
    correctedTable(corrected.items, ctx),
  );
  draw();
}
