// Compiles src/ to build/ (what the container image runs, with no TypeScript loader) and copies beside it the
// files the compiled code reads at run time: thread entry points, the default rules, the widget's sources
// (bundled on demand by esbuild). Templates stay in templates/, which build/ finds as it finds it from src/.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const src = 'src';
const out = 'build';
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}
for (const file of files(src)) {
  if (/\.(mjs|json)$/.test(file)) cpSync(file, join(out, relative(src, file)));
}
cpSync(join(src, 'channels/chat/widget'), join(out, 'channels/chat/widget'), { recursive: true });
// The admin's browser code imports the shared words (i18n.ts, words-*.ts) from the folder above it.
cpSync(join(src, 'admin/web'), join(out, 'admin/web'), {
  recursive: true,
  filter: (f) => !f.endsWith('.js') && !f.endsWith('.map'),
});
console.log(`built ${out}/ from ${src}/`);
