// The admin's words in Japanese and English, for the server's frame and the pages' script alike.
// A key missing in one language falls back to English, then to the key itself (a visible slip, not a crash).

import { en } from './words-en.js';
import { ja } from './words-ja.js';

export type AdminLocale = 'ja' | 'en';
export type WordKey = keyof typeof en;

const dictionaries: Record<AdminLocale, Partial<Record<WordKey, string>>> = { ja, en };

/** The word for `key` with `{name}` placeholders filled from `vars`. */
export function translate(locale: AdminLocale, key: string, vars: Record<string, string | number> = {}) {
  const text = dictionaries[locale][key as WordKey] ?? en[key as WordKey] ?? key;
  return text.replace(/\{(\w+)\}/g, (m: string, name: string) => (name in vars ? String(vars[name]) : m));
}

export const adminLocale = (value: string | undefined): AdminLocale => (value === 'en' ? 'en' : 'ja');
