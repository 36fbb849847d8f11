import { build } from 'esbuild';

// A browser script bundled in memory: one minified file from a TypeScript entry and what it imports.

export async function bundleBrowserScript(entry: string, target: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: [target],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}
