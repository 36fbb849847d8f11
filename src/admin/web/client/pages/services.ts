import type { PageContext } from '../context.js';
import { field, fill, h, input, onSubmit, select, table } from '../dom.js';

// The services triage knows: their names in both languages, the aliases customers use (those shipped and
// those admins added), and each one's state in service health. An admin adds the name their customers use
// for a service ("タスクボード" for Planner) and triage matches it at once, without a deploy.

interface Service {
  id: string;
  name: string;
  nameJa: string;
  aliases: string[];
  customAliases: string[];
  discovered: boolean;
  health: { status: string } | null;
}

function serviceTable(items: Service[], ctx: PageContext, remove: (s: Service, alias: string) => void) {
  const { t } = ctx;
  const added = (s: Service) =>
    s.customAliases.map((a) =>
      h(
        'button',
        {
          type: 'button',
          class: 'chip',
          'aria-label': t('services.remove', { alias: a }),
          onclick: () => remove(s, a),
        },
        `${a} ×`,
      ),
    );
  return table<Service>(
    t('nav.services'),
    [
      { label: t('services.name'), cell: (s) => (s.nameJa !== s.name ? `${s.name} (${s.nameJa})` : s.name) },
      { label: t('services.aliases'), cell: (s) => s.aliases.join(', ') },
      { label: t('services.custom'), cell: added },
      { label: t('services.health'), cell: (s) => s.health?.status ?? '—' },
      {
        label: t('services.origin'),
        cell: (s) => t(s.discovered ? 'services.discovered' : 'services.shipped'),
      },
    ],
    items,
    t('list.none'),
  );
}

export async function servicesPage(app: HTMLElement, ctx: PageContext) {
  const { t, api } = ctx;
  const { items } = await api.get<{ items: Service[] }>('/api/service-catalogue');
  const status = h('div', { class: 'status' });
  const service = select(
    items.map((s): [string, string] => [s.id, s.name]),
    items[0]?.id ?? '',
  );
  const alias = input({ type: 'text', required: true, maxlength: 100, autocomplete: 'off' });
  const form = h(
    'form',
    { class: 'grid' },
    field(t('services.service'), service),
    field(t('services.alias'), alias, t('services.aliasHint')),
    h('button', { type: 'submit', class: 'primary' }, t('services.add')),
    status,
  );
  const reload = async (message: string) => {
    await servicesPage(app, ctx);
    ctx.say(app.querySelector('.status')!, message, 'ok');
  };
  onSubmit(form, async () => {
    const path = `/api/service-catalogue/${encodeURIComponent(service.value)}/aliases`;
    if (await ctx.guard(status, () => api.send('POST', path, { alias: alias.value }).then(() => undefined)))
      await reload(t('saved'));
  });
  const remove = async (s: Service, a: string) => {
    const path = `/api/service-catalogue/${encodeURIComponent(s.id)}/aliases/${encodeURIComponent(a)}`;
    if (await ctx.guard(status, () => api.send('DELETE', path).then(() => undefined)))
      await reload(t('services.removed'));
  };
  fill(app, h('p', { class: 'muted' }, t('services.intro')), form, serviceTable(items, ctx, remove));
}
