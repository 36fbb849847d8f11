import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleBrowserScript } from '../../browser-script.js';

// The widget bundle (TypeScript + socket.io client → one minified script), built in memory on demand.

const entry = fileURLToPath(new URL('./widget/widget.ts', import.meta.url));

export interface WidgetBundle {
  code: string;
  bytes: number;
  gzipBytes: number;
}

export async function buildWidget(): Promise<WidgetBundle> {
  const code = await bundleBrowserScript(entry, 'es2019');
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code).length };
}
