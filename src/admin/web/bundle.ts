import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleBrowserScript } from '../../browser-script.js';

// The admin's scripts and style sheet, built in memory by esbuild on first request and kept: `admin.js`
// (every page but the template editor, a few KB) and `editor.js` (the same plus CodeMirror).

const entries = {
  'admin.js': fileURLToPath(new URL('./client/main.ts', import.meta.url)),
  'editor.js': fileURLToPath(new URL('./client/editor-main.ts', import.meta.url)),
} as const;
const styleSheet = fileURLToPath(new URL('./client/admin.css', import.meta.url));

export type AssetName = keyof typeof entries | 'admin.css';
export const assetNames: AssetName[] = ['admin.js', 'editor.js', 'admin.css'];

export interface Asset {
  type: string;
  body: string;
}

export function adminAssets() {
  const built = new Map<AssetName, Promise<Asset>>();
  const make = async (name: AssetName): Promise<Asset> =>
    name === 'admin.css'
      ? { type: 'text/css; charset=utf-8', body: await readFile(styleSheet, 'utf8') }
      : {
          type: 'application/javascript; charset=utf-8',
          body: await bundleBrowserScript(entries[name], 'es2020'),
        };
  return (name: AssetName): Promise<Asset> => {
    let asset = built.get(name);
    if (!asset) {
      asset = make(name);
      built.set(name, asset);
      // A failed build is tried again on the next request, not kept.
      asset.catch(() => built.delete(name));
    }
    return asset;
  };
}
