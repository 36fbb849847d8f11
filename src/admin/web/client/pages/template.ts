import { liquid } from '@codemirror/lang-liquid';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { basicSetup, EditorView } from 'codemirror';
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

export async function templatePage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const channel = new URL(location.href).searchParams.get('channel') === 'chat' ? 'chat' : 'email';
  const base = `/api/templates/${encodeURIComponent(ctx.params.key ?? '')}/${encodeURIComponent(ctx.params.locale ?? '')}`;
  const [tpl, plans] = await Promise.all([
    api.get<TemplateView>(`${base}?channel=${channel}`),
    api.get<{ items: { id: string; name: string }[] }>('/api/plans'),
  ]);
  let baseVersion = tpl.version;
  const heading = document.querySelector('main h1');
  if (heading) heading.textContent = `${t(`templateKey.${tpl.key}`)} · ${tpl.locale} · ${tpl.channel}`;

  const subject = input({ type: 'text', value: tpl.subject, name: 'subject', class: 'wide' });
  const plan = select(
    plans.items.map((p) => [p.id, p.name]),
    plans.items[0]?.id ?? '',
  );
  const previewOut = h('div', { class: 'preview', 'aria-live': 'polite' });
  const problemsOut = h('div', {});
  const saveOut = h('div', { class: 'status' });
  const historyOut = h('section', { 'aria-labelledby': 'versions-h' });
  const editorHost = h('div', { class: 'editor', 'aria-label': t('template.body') });
  const view = new EditorView({
    doc: tpl.body,
    parent: editorHost,
    extensions: [
      basicSetup,
      liquid(),
      lintGutter(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': t('template.body') }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) schedule();
      }),
    ],
  });
  const source = () => ({ subject: subject.value, body: view.state.doc.toString() });

  const showProblems = (problems: Problem[]) => {
    view.dispatch(setDiagnostics(view.state, diagnostics(view, problems)));
    fill(problemsOut, problemList(problems, ctx));
  };
  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    try {
      const p = await api.send<Preview>('POST', `${base}/preview?channel=${channel}`, {
        ...source(),
        planId: plan.value || null,
      });
      if (mine !== seq) return;
      showProblems(p.problems);
      fill(
        previewOut,
        h('p', { class: 'muted' }, t('template.previewFor', { plan: p.plan })),
        h('p', { class: 'subject' }, p.subject),
        h('pre', { class: 'text' }, p.body),
      );
    } catch (err) {
      if (mine !== seq) return;
      if (err instanceof ApiError && err.problems.length) showProblems(err.problems);
      else
        showProblems([
          { line: null, column: null, message: err instanceof Error ? err.message : String(err) },
        ]);
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  subject.addEventListener('input', schedule);
  plan.addEventListener('change', schedule);

  async function reloadHistory() {
    const fresh = await api.get<TemplateView>(`${base}?channel=${channel}`);
    baseVersion = fresh.version;
    fill(
      historyOut,
      templateHistory(
        fresh.versions,
        ctx,
        `${base}/rollback?channel=${channel}`,
        async (live) => {
          subject.value = live.subject;
          view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: live.body } });
          await reloadHistory();
        },
        saveOut,
      ),
    );
  }

  const save = h('button', { type: 'button', class: 'primary' }, t('template.save'));
  save.addEventListener('click', async () => {
    ctx.say(saveOut, null);
    try {
      const r = await api.send<{ version: number }>('PUT', `${base}?channel=${channel}`, {
        ...source(),
        baseVersion,
      });
      ctx.say(saveOut, t('template.saved', { version: r.version }), 'ok');
      await reloadHistory();
    } catch (err) {
      if (err instanceof ApiError && err.problems.length) showProblems(err.problems);
      ctx.say(saveOut, err instanceof Error ? err.message : String(err));
    }
  });

  fill(
    app,
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        {},
        field(t('template.subject'), subject),
        h('div', { class: 'field' }, h('span', { class: 'label' }, t('template.body')), editorHost),
        problemsOut,
        h('div', { class: 'actions' }, save),
        saveOut,
      ),
      h('div', {}, field(t('template.plan'), plan), h('h2', {}, t('template.preview')), previewOut),
    ),
    historyOut,
  );
  await Promise.all([refresh(), reloadHistory()]);
}
