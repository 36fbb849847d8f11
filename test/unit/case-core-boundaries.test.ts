import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The case core knows no channel, admin or triage code; every message row and every outbox row is written
// by one module each, so a new channel or reply kind cannot grow its own copy of the column list.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'migrations' ? [] : sourceFiles(full);
    return /\.(ts|mts|mjs)$/.test(e.name) ? [full] : [];
  });
}

/** Every module a file imports, statically or dynamically, resolved to a path under the repository. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs
    .filter((s) => s.startsWith('.'))
    .map((s) => path.relative(root, path.resolve(path.dirname(file), s)));
}

const rel = (f: string) => path.relative(root, f);

describe('the case core', () => {
  it('imports nothing from channels, admin or triage', () => {
    const files = sourceFiles(path.join(src, 'cases'));
    expect(files.length).toBeGreaterThan(0);
    const offending = files.flatMap((f) =>
      importsOf(f)
        .filter((i) => /^src\/(channels|admin|triage)\//.test(i))
        .map((i) => `${rel(f)} imports ${i}`),
    );
    expect(offending).toEqual([]);
  });
});

describe('one writer per table', () => {
  const writers = (pattern: RegExp) =>
    sourceFiles(src)
      .filter((f) => pattern.test(readFileSync(f, 'utf8')))
      .map(rel)
      .sort();

  it('writes messages rows in one module', () => {
    expect(writers(/insert\s+into\s+messages\b|insertInto\(\s*['"]messages['"]/i)).toEqual([
      'src/cases/message-store.ts',
    ]);
  });

  it('writes attachments rows in one module', () => {
    expect(writers(/insert\s+into\s+attachments\b|insertInto\(\s*['"]attachments['"]/i)).toEqual([
      'src/cases/message-store.ts',
    ]);
  });

  it('writes cases rows in one module', () => {
    expect(writers(/insert\s+into\s+cases\b|insertInto\(\s*['"]cases['"]/i)).toEqual([
      'src/cases/case-store.ts',
    ]);
  });

  it('writes outbox rows in one module', () => {
    expect(writers(/insert\s+into\s+outbox\b|insertInto\(\s*['"]outbox['"]/i)).toEqual([
      'src/replies/outbox.ts',
    ]);
  });

  it('enqueues outbound sends from one module', () => {
    expect(writers(/\.(add|addBulk)\(\s*['"]outbound['"]/)).toEqual(['src/replies/outbox.ts']);
  });
});
