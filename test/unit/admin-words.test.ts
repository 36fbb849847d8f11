import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminPages } from '../../src/admin/web/pages.js';
import { en } from '../../src/admin/web/words-en.js';
import { ja } from '../../src/admin/web/words-ja.js';

// Every word the admin pages ask for by a fixed key exists in both languages (a missing one would show its
// key to the user), and every page has its title and, when listed, its menu entry.

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('admin words', () => {
  it('has every fixed key the pages use, in English and Japanese', () => {
    const used = new Set<string>();
    for (const f of files('src/admin/web')) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(100);
    expect([...used].filter((k) => !(k in en))).toEqual([]);
    expect([...used].filter((k) => !(k in ja))).toEqual([]);
  });

  it('titles every page and names every menu entry', () => {
    const missing = adminPages.flatMap((p) => [
      ...(`title.${p.name}` in en ? [] : [`title.${p.name}`]),
      ...(!p.nav || `nav.${p.name}` in en ? [] : [`nav.${p.name}`]),
    ]);
    expect(missing).toEqual([]);
    expect('title.sign-in' in en && 'title.forbidden' in en).toBe(true);
  });

  it('keeps the Japanese words free of internal terms customers and partners should not read', () => {
    expect(Object.values(ja).filter((w) => w.includes('間接プロバイダー'))).toEqual([]);
  });
});
