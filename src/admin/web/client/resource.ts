import type { PageContext } from './context.js';
import { type Column, field, fill, h, input, onSubmit, select, table } from './dom.js';

// A list of resources with a form beside it, for the pages whose records are flat: customers, agents,
// incidents. A record is edited by loading it into the form; Save creates or updates it through the API.

export interface FieldDef {
  name: string;
  kind: 'text' | 'email' | 'password' | 'select' | 'checkbox' | 'list' | 'datetime' | 'url';
  options?: [string, string][];
  required?: boolean;
  hint?: string;
  /** Only when creating (an id chosen by the user). */
  createOnly?: boolean;
}

export interface ResourceDef<T extends Record<string, unknown>> {
  path: string;
  idOf: (row: T) => string;
  columns: Column<T>[];
  fields: FieldDef[];
  /** PATCH (only what the form holds) or PUT. */
  update: 'PATCH' | 'PUT';
  extraActions?: (row: T, reload: () => Promise<void>) => HTMLElement | null;
  /** Whether a row may be loaded into the form (one from the environment may not). */
  editable?: (row: T) => boolean;
  /** The form's values turned into the API's body (e.g. passwords put into URLs). */
  toBody?: (body: Record<string, unknown>) => Record<string, unknown>;
}

type Control = HTMLInputElement | HTMLSelectElement;

function control(f: FieldDef, ctx: PageContext): Control {
  const attrs = { name: f.name, required: Boolean(f.required) };
  if (f.kind === 'select') return select(f.options ?? [], f.options?.[0]?.[0] ?? '', attrs);
  if (f.kind === 'checkbox') return input({ ...attrs, type: 'checkbox', required: false });
  if (f.kind === 'list') return input({ ...attrs, type: 'text', placeholder: ctx.t('form.listHint') });
  if (f.kind === 'datetime') return input({ ...attrs, type: 'datetime-local' });
  return input({
    ...attrs,
    type: f.kind === 'password' ? 'password' : f.kind,
    autocomplete: f.kind === 'password' ? 'new-password' : 'off',
  });
}

function setValue(c: Control, f: FieldDef, v: unknown) {
  if (c instanceof HTMLInputElement && f.kind === 'checkbox') c.checked = v !== false;
  else if (f.kind === 'list') c.value = Array.isArray(v) ? v.join(', ') : '';
  else if (f.kind === 'datetime') c.value = typeof v === 'string' && v ? toLocalInput(v) : '';
  else if (f.kind === 'password') c.value = '';
  else
    c.value =
      v === null || v === undefined ? (f.kind === 'select' ? (f.options?.[0]?.[0] ?? '') : '') : String(v);
}

function getValue(c: Control, f: FieldDef): unknown {
  if (c instanceof HTMLInputElement && f.kind === 'checkbox') return c.checked;
  if (f.kind === 'list') return c.value.split(/[,\s]+/).filter(Boolean);
  if (f.kind === 'datetime') return c.value ? new Date(c.value).toISOString() : undefined;
  const v = c.value.trim();
  if (f.kind === 'password') return v || undefined;
  return v === '' ? null : v;
}

const toLocalInput = (iso: string) => {
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** The form's values as the API takes them; a field chosen only on creation is left out of an update. */
function formBody(fields: FieldDef[], controls: Map<string, Control>, updating: boolean) {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    if (updating && f.createOnly) continue;
    const v = getValue(controls.get(f.name)!, f);
    if (v !== undefined) body[f.name] = v;
  }
  return body;
}

export async function resourcePage<T extends Record<string, unknown>>(
  app: HTMLElement,
  ctx: PageContext,
  def: ResourceDef<T>,
) {
  const { t, api } = ctx;
  const controls = new Map(def.fields.map((f) => [f.name, control(f, ctx)]));
  let editing: string | null = null;
  const legend = h('legend', {}, t('form.new'));
  const status = h('div', { class: 'status' });
  const listOut = h('div', {});
  const reset = () => {
    editing = null;
    legend.textContent = t('form.new');
    for (const f of def.fields) {
      setValue(controls.get(f.name)!, f, f.kind === 'checkbox' ? true : null);
      controls.get(f.name)!.disabled = false;
    }
  };
  const load = (row: T) => {
    editing = def.idOf(row);
    legend.textContent = t('form.editing', { name: editing });
    for (const f of def.fields) {
      setValue(controls.get(f.name)!, f, row[f.name]);
      controls.get(f.name)!.disabled = Boolean(f.createOnly);
    }
    controls.get(def.fields[0]!.name)?.focus();
  };
  async function reload() {
    const { items } = await api.get<{ items: T[] }>(def.path);
    const edit: Column<T> = {
      label: '',
      cell: (r) => [
        def.editable?.(r) === false
          ? null
          : h('button', { type: 'button', onclick: () => load(r) }, t('edit')),
        def.extraActions?.(r, reload) ?? null,
      ],
    };
    fill(listOut, table(t(`title.${ctx.page}`), [...def.columns, edit], items, t('list.none')));
  }
  const form = h(
    'form',
    { class: 'resource' },
    h(
      'fieldset',
      {},
      legend,
      def.fields.map((f) =>
        field(t(`field.${f.name}`), controls.get(f.name)!, f.hint ? t(f.hint) : undefined),
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('save')),
      ' ',
      h('button', { type: 'button', onclick: reset }, t('form.clear')),
    ),
    status,
  );
  onSubmit(form, async () => {
    const values = formBody(def.fields, controls, editing !== null);
    const body = def.toBody ? def.toBody(values) : values;
    const ok = await ctx.guard(status, async () => {
      if (editing) await api.send(def.update, `${def.path}/${encodeURIComponent(editing)}`, body);
      else await api.send('POST', def.path, body);
    });
    if (ok) {
      ctx.say(status, t('saved'), 'ok');
      reset();
      await reload();
    }
  });
  reset();
  fill(app, h('div', { class: 'split' }, listOut, form));
  await reload();
}
