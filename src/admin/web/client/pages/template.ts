import { liquidLanguage } from '@codemirror/lang-liquid';
import { LanguageSupport } from '@codemirror/language';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { lineNumbers } from '@codemirror/view';
import { EditorView, minimalSetup } from 'codemirror';
import { ApiError, type Problem } from '../api.js';
import type { PageContext } from '../context.js';
import { field, fill, h, input, select } from '../dom.js';
import { type TemplateVersion, templateHistory } from './template-history.js';

// The template editor: the subject, the body in CodeMirror (Liquid highlighting), the reply rendered for a
// sample case of the chosen plan as one types, the lint's problems underlined in the text and listed, Save
// (refused with the lint's message), and the versions with their diff and a rollback.

interface TemplateView {
  key: string;
  locale: string;
  channel: string;
  version: number;
  subject: string;
  body: string;
  versions: TemplateVersion[];
}

interface Preview {
  plan: string;
  subject: string;
  body: string;
  problems: Problem[];
}

function diagnostics(view: EditorView, problems: Problem[]): Diagnostic[] {
  const doc = view.state.doc;
  return problems.map((p) => {
    if (p.line === null || p.line < 1 || p.line > doc.lines)
      return { from: 0, to: doc.length, severity: 'error', message: p.message };
    const line = doc.line(p.line);
    const from = Math.min(line.from + Math.max((p.column ?? 1) - 1, 0), line.to);
    return { from, to: Math.max(from + 1, line.to), severity: 'error', message: p.message };
  });
}

function problemList(problems: Problem[], ctx: PageContext): HTMLElement | null {
  if (!problems.length) return null;
  return h(
    'ul',
    { class: 'problems', role: 'alert' },
    problems.map((p) =>
      h(
        'li',
        {},
        p.line === null ? '' : `${ctx.t('template.line', { line: p.line, column: p.column ?? 1 })}: `,
        p.message,
      ),
    ),
  );
}

function bodyEditor(doc: string, label: string, changed: () => void, host: HTMLElement): EditorView {
  return new EditorView({
    doc,
    parent: host,
    extensions: [
      minimalSetup,
      lineNumbers(),
      // Liquid over plain text: replies are text, not HTML.
      new LanguageSupport(liquidLanguage),
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) changed();
      }),
    ],
  });
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One template open for editing: its controls, the live preview, saving and the history. */
class TemplateEditing {
  readonly subject: HTMLInputElement;
  readonly plan: HTMLSelectElement;
  readonly previewOut = h('div', { class: 'preview', 'aria-live': 'polite' });
  readonly problemsOut = h('div', {});
  readonly saveOut = h('div', { class: 'status' });
  readonly historyOut = h('section', { 'aria-labelledby': 'versions-h' });
  readonly editorHost: HTMLElement;
  readonly view: EditorView;
  private baseVersion: number;
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: PageContext,
    private readonly base: string,
    private readonly channel: string,
    tpl: TemplateView,
    plans: { id: string; name: string }[],
  ) {
    this.baseVersion = tpl.version;
    this.subject = input({ type: 'text', value: tpl.subject, name: 'subject', class: 'wide' });
    this.plan = select(
      plans.map((p) => [p.id, p.name]),
      plans[0]?.id ?? '',
    );
    this.editorHost = h('div', { class: 'editor' });
    this.view = bodyEditor(tpl.body, ctx.t('template.body'), () => this.schedule(), this.editorHost);
    this.subject.addEventListener('input', () => this.schedule());
    this.plan.addEventListener('change', () => this.schedule());
  }

  source() {
    return { subject: this.subject.value, body: this.view.state.doc.toString() };
  }

  showProblems(problems: Problem[]) {
    this.view.dispatch(setDiagnostics(this.view.state, diagnostics(this.view, problems)));
    fill(this.problemsOut, problemList(problems, this.ctx));
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 300);
  }

  /** The preview and the lint for the text as it stands; an answer overtaken by a newer edit is dropped. */
  async refresh() {
    const mine = ++this.seq;
    const { t, api } = this.ctx;
    try {
      const body = { ...this.source(), planId: this.plan.value || null };
      const p = await api.send<Preview>('POST', `${this.base}/preview?channel=${this.channel}`, body);
      if (mine !== this.seq) return;
      this.showProblems(p.problems);
      fill(
        this.previewOut,
        h('p', { class: 'muted' }, t('template.previewFor', { plan: p.plan })),
        h('p', { class: 'subject' }, p.subject),
        h('pre', { class: 'text' }, p.body),
      );
    } catch (err) {
      if (mine !== this.seq) return;
      const problems = err instanceof ApiError && err.problems.length ? err.problems : null;
      this.showProblems(problems ?? [{ line: null, column: null, message: messageOf(err) }]);
    }
  }

  async reloadHistory() {
    const fresh = await this.ctx.api.get<TemplateView>(`${this.base}?channel=${this.channel}`);
    this.baseVersion = fresh.version;
    const rolledBack = async (live: TemplateVersion) => {
      this.subject.value = live.subject;
      this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: live.body } });
      await this.reloadHistory();
    };
    const url = `${this.base}/rollback?channel=${this.channel}`;
    fill(this.historyOut, templateHistory(fresh.versions, this.ctx, url, rolledBack, this.saveOut));
  }

  /** A new version, from the version the edit started from (409 if another save came first). */
  async save() {
    const { t, api } = this.ctx;
    this.ctx.say(this.saveOut, null);
    try {
      const body = { ...this.source(), baseVersion: this.baseVersion };
      const r = await api.send<{ version: number }>('PUT', `${this.base}?channel=${this.channel}`, body);
      this.ctx.say(this.saveOut, t('template.saved', { version: r.version }), 'ok');
      await this.reloadHistory();
    } catch (err) {
      if (err instanceof ApiError && err.problems.length) this.showProblems(err.problems);
      this.ctx.say(this.saveOut, messageOf(err));
    }
  }
}

/** Links to the same template in the other language and channel, so each variant is one click away. */
async function variantLinks(ctx: PageContext, tpl: TemplateView): Promise<HTMLElement> {
  const { items } = await ctx.api.get<{ items: { key: string; locale: string; channel: string }[] }>(
    '/api/templates',
  );
  const same = items.filter((i) => i.key === tpl.key);
  return h(
    'ul',
    { class: 'tabs', 'aria-label': ctx.t('template.variants') },
    same.map((i) => {
      const here = i.locale === tpl.locale && i.channel === tpl.channel;
      return h(
        'li',
        {},
        h(
          'a',
          {
            href: `/admin/templates/${i.key}/${i.locale}?channel=${i.channel}`,
            'aria-current': here ? 'page' : null,
          },
          `${i.locale} · ${ctx.t(`channel.${i.channel}`)}`,
        ),
      );
    }),
  );
}

export async function templatePage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const channel = new URL(location.href).searchParams.get('channel') === 'chat' ? 'chat' : 'email';
  const base = `/api/templates/${encodeURIComponent(ctx.params.key ?? '')}/${encodeURIComponent(ctx.params.locale ?? '')}`;
  const [tpl, plans] = await Promise.all([
    api.get<TemplateView>(`${base}?channel=${channel}`),
    api.get<{ items: { id: string; name: string }[] }>('/api/plans'),
  ]);
  const heading = document.querySelector('main h1');
  if (heading) heading.textContent = `${t(`templateKey.${tpl.key}`)} · ${tpl.locale} · ${tpl.channel}`;
  const e = new TemplateEditing(ctx, base, channel, tpl, plans.items);
  const variants = await variantLinks(ctx, tpl);
  const save = h('button', { type: 'button', class: 'primary', onclick: () => e.save() }, t('template.save'));
  fill(
    app,
    variants,
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        {},
        field(t('template.subject'), e.subject),
        h('div', { class: 'field' }, h('span', { class: 'label' }, t('template.body')), e.editorHost),
        e.problemsOut,
        h('div', { class: 'actions' }, save),
        e.saveOut,
      ),
      h('div', {}, field(t('template.plan'), e.plan), h('h2', {}, t('template.preview')), e.previewOut),
    ),
    e.historyOut,
  );
  await Promise.all([e.refresh(), e.reloadHistory()]);
}
