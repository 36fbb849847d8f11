import { sniffJapaneseCharset } from './charset-repair.js';
import { rewriteHeaderSection } from './header-section.js';

// Japanese mailers still write headers the body repair never sees: raw 8-bit Shift_JIS or EUC-JP (or raw
// ISO-2022-JP escapes) with no encoded words, and encoded words labelled ISO-2022-JP that hold Shift_JIS.
// Decoded by their label they give mojibake that cannot be undone from the text, so the top-level header
// section is rewritten to UTF-8 before mailparser reads it, and only where the label is clearly wrong: bytes
// invalid in the labelled charset, or raw 8-bit bytes that are not UTF-8.

const encodedWord = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
const rawNonAscii = /[\x80-\xff\x1b]/;
// A header field and its continuation lines; [^\n] cannot match the break, so nothing backtracks.
const headerField = /[^\n]*(?:\n[ \t][^\n]*)*/g;

function decodeStrict(label: string, bytes: Buffer): string | null {
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

// The standard decoders read us-ascii as windows-1252, which takes any byte: 8-bit bytes are checked here.
const asciiLabel = /^(?:us-?ascii|ascii|us|ansi_x3\.4-1968|iso646-us)$/i;

/** Whether the bytes are valid in the declared charset; null when the charset is unknown here. */
function validIn(declared: string, bytes: Buffer): boolean | null {
  const label = declared.replace(/\*.*$/, '');
  if (asciiLabel.test(label)) return !bytes.some((b) => b >= 0x80);
  try {
    new TextDecoder(label);
  } catch {
    // A charset mailparser knows and the standard decoders do not: nothing to judge it by.
    return null;
  }
  return decodeStrict(label, bytes) !== null;
}

/**
 * The text the bytes really hold when their declared charset is clearly wrong (invalid for them, or no
 * label on raw 8-bit bytes that are not UTF-8) and they are Japanese; null to keep the label. iso-8859-1
 * takes any byte, so a word labelled so is never second-guessed.
 */
export function relabelledText(declared: string | null, bytes: Buffer): string | null {
  if (declared !== null && validIn(declared, bytes) !== false) return null;
  const real = sniffJapaneseCharset(bytes);
  if (real === null || (declared === null && real === 'utf-8')) return null;
  return decodeStrict(real, bytes);
}

function wordBytes(encoding: string, text: string): Buffer {
  if (encoding === 'b' || encoding === 'B') return Buffer.from(text, 'base64');
  const bytes = text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_, hex: string) => {
    return String.fromCharCode(Number.parseInt(hex, 16));
  });
  return Buffer.from(bytes, 'latin1');
}

const asUtf8Word = (text: string) => `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

/**
 * Encoded words re-labelled where their label is wrong. Adjacent words of one charset are read together:
 * mailers split them anywhere, a two-byte character included.
 */
function repairEncodedWords(head: string): string {
  if (!head.includes('=?')) return head;
  let out = '';
  let copied = 0;
  let run: { start: number; end: number; charset: string; parts: Buffer[] } | null = null;
  const flush = () => {
    if (!run) return;
    const text = relabelledText(run.charset, Buffer.concat(run.parts));
    if (text !== null) {
      out += head.slice(copied, run.start) + asUtf8Word(text);
      copied = run.end;
    }
    run = null;
  };
  for (const m of head.matchAll(encodedWord)) {
    const charset = m[1]!.toLowerCase();
    const start = m.index;
    const joins = run !== null && run.charset === charset && /^[ \t\r\n]*$/.test(head.slice(run.end, start));
    if (!joins) flush();
    run ??= { start, end: start, charset, parts: [] };
    run.parts.push(wordBytes(m[2]!, m[3]!));
    run.end = start + m[0].length;
  }
  flush();
  return copied === 0 ? head : out + head.slice(copied);
}

/** A header field of raw Japanese bytes (not UTF-8) written out in UTF-8, which mailparser reads as is. */
function repairRawField(field: string): string {
  if (!rawNonAscii.test(field)) return field;
  const text = relabelledText(null, Buffer.from(field, 'latin1'));
  return text === null ? field : Buffer.from(text, 'utf8').toString('latin1');
}

/** The mail with its top-level headers' Japanese charsets put right; the same buffer when none were wrong. */
export function repairHeaderCharsets(raw: Buffer): Buffer {
  return rewriteHeaderSection(raw, (head) => {
    const fixed = rawNonAscii.test(head) ? head.replace(headerField, repairRawField) : head;
    return repairEncodedWords(fixed);
  });
}
