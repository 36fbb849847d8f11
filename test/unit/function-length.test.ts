import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The code stays readable at a glance: no function in src/ over 80 lines.

const limit = 80;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every function, method or arrow function longer than the limit, as "file:line name (n lines)". */
function longFunctions(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = src.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        const last = src.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
        const name = 'name' in node && node.name ? node.name.getText(src) : '(anonymous)';
        if (last - first + 1 > limit) found.push(`${file}:${first} ${name} (${last - first + 1} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return found;
}

describe('function length', () => {
  it(`keeps every function in src/ within ${limit} lines`, () => {
    const files = sourceFiles('src');
    expect(files.length).toBeGreaterThan(100);
    expect(longFunctions(files)).toEqual([]);
  });
});
