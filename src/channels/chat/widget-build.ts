import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

// The widget bundle (TypeScript + socket.io client → one minified script), built in memory on demand.

const entry = fileURLToPath(new URL('./widget/widget.ts', import.meta.url));

export interface WidgetBundle {
  code: string;
  bytes: number;
  gzipBytes: number;
}

export async function buildWidget(): Promise<WidgetBundle> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2019'],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code).length };
}
