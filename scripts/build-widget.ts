// `npm run build:widget`: builds the chat widget bundle and prints its size (it is served from memory).
import { buildWidget } from '../src/channels/chat/widget-build.js';

const b = await buildWidget();
process.stdout.write(
  `widget.js: ${(b.bytes / 1024).toFixed(1)} KiB minified, ${(b.gzipBytes / 1024).toFixed(1)} KiB gzipped (target < 40 KiB gzipped)\n`,
);
