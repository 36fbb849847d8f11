import { type AdminLocale, adminLocale, translate } from '../i18n.js';
import { type Api, ApiError, api } from './api.js';
import { type Child, fill, h } from './dom.js';

// What every page gets: who is signed in, their language, the API, the route's parameters, and a place to
// say that something went wrong.

export interface PageContext {
  page: string;
  locale: AdminLocale;
  role: 'admin' | 'agent' | '';
  me: string;
  params: Record<string, string>;
  api: Api;
  t(key: string, vars?: Record<string, string | number>): string;
  /** A message the user must notice (role=alert), or nothing. */
  say(target: Element, message: string | null, kind?: 'error' | 'ok'): void;
  /** Runs `work`; an API error becomes a visible message in `target` instead of a silent failure. */
  guard(target: Element, work: () => Promise<void>): Promise<boolean>;
}

export function pageContext(): PageContext {
  const d = document.body.dataset;
  const locale = adminLocale(d.locale);
  const t = (key: string, vars?: Record<string, string | number>) => translate(locale, key, vars);
  const say = (target: Element, message: string | null, kind: 'error' | 'ok' = 'error') => {
    const children: Child[] = message
      ? [h('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, message)]
      : [];
    fill(target, ...children);
  };
  return {
    page: d.page ?? '',
    locale,
    role: (d.role as PageContext['role']) ?? '',
    me: d.me ?? '',
    params: JSON.parse(d.params || '{}'),
    api: api(d.csrf ?? ''),
    t,
    say,
    async guard(target, work) {
      say(target, null);
      try {
        await work();
        return true;
      } catch (err) {
        say(target, err instanceof ApiError ? `${err.message}` : t('error.unexpected'));
        return false;
      }
    },
  };
}
