import { Readable } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { Joiner, Rewriter, Splitter } from '@zone-eu/mailsplit';

// Japanese mail clients and web forms often label Shift_JIS, EUC-JP or UTF-8 bodies as us-ascii or
// iso-8859-1 (or not at all). Decoding by the label gives mojibake that cannot be undone from the text, so
// the text parts are re-labelled from their bytes before mailparser reads them.

const suspectLabels = new Set([
  '',
  'us-ascii',
  'ascii',
  'iso-8859-1',
  'latin1',
  'iso_8859-1',
  'windows-1252',
  'cp1252',
]);
const japanese = /[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]/g;

function tryDecode(label: string, bytes: Buffer): string | null {
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** The charset the bytes really are in, when it is one of the usual Japanese ones; null to keep the label. */
export function sniffJapaneseCharset(bytes: Buffer): string | null {
  if (/\x1b\$[@B]/.test(bytes.toString('latin1'))) return 'iso-2022-jp';
  if (!bytes.some((b) => b >= 0x80)) return null;
  if (tryDecode('utf-8', bytes) !== null) return 'utf-8';
  for (const label of ['shift_jis', 'euc-jp']) {
    const text = tryDecode(label, bytes);
    if (text === null) continue;
    // Western Latin-1 text also decodes as Shift_JIS now and then; real Japanese is mostly kana and kanji.
    const nonAscii = text.match(/[^\u0000-\u007f]/g)?.length ?? 0;
    const jp = text.match(japanese)?.length ?? 0;
    if (nonAscii > 0 && jp / nonAscii > 0.8) return label;
  }
  return null;
}

export interface RepairedMail {
  raw: Buffer;
  /** Whether the mail has a text/plain body of its own (mailparser makes one up from HTML otherwise). */
  hasPlainText: boolean;
}

export async function repairCharsets(raw: Buffer): Promise<RepairedMail> {
  const splitter = new Splitter({ ignoreEmbedded: true });
  let hasPlainText = false;
  const rewriter = new Rewriter((node) => {
    const type = typeof node.contentType === 'string' ? node.contentType : 'text/plain';
    if (type === 'text/plain' && node.disposition !== 'attachment') hasPlainText = true;
    return type.startsWith('text/') && suspectLabels.has(String(node.charset || '').toLowerCase());
  });
  let changed = false;
  rewriter.on('node', (data) => {
    void (async () => {
      const bytes = await collect(data.decoder);
      const real = sniffJapaneseCharset(bytes);
      if (real && real !== 'iso-2022-jp') {
        data.node.setCharset('utf-8');
        data.encoder.end(Buffer.from(new TextDecoder(real).decode(bytes), 'utf8'));
        changed = true;
      } else if (real === 'iso-2022-jp') {
        data.node.setCharset('iso-2022-jp');
        data.encoder.end(bytes);
        changed = true;
      } else {
        data.encoder.end(bytes);
      }
    })().catch((err) => data.encoder.destroy(err as Error));
  });
  const joiner = new Joiner();
  const out: Buffer[] = [];
  joiner.on('data', (chunk: Buffer) => out.push(chunk));
  await pipeline(Readable.from([raw]), splitter, rewriter, joiner);
  return { raw: changed ? Buffer.concat(out) : raw, hasPlainText };
}
