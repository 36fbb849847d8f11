import { buffer as collect } from 'node:stream/consumers';
import type { ImapFlow, MessageStructureObject } from 'imapflow';
import type { OmittedPart } from '../../db/schema.js';
import type { FetchedMail } from './raw-mail-store.js';

// A mail larger than MAIL_MAX_BYTES is never fetched whole: its headers, its structure and its first text part
// (itself cut at a bounded length) are enough to open its case; the other parts are listed by name and size
// and stay in the mailbox.

// The most of the first text part read; a customer's words fit in far less.
export const firstTextMaxBytes = 256 * 1024;

type TextType = 'text/plain' | 'text/html';

function isAttachment(node: MessageStructureObject): boolean {
  return node.disposition?.toLowerCase() === 'attachment';
}

function leaves(node: MessageStructureObject): MessageStructureObject[] {
  if (!node.childNodes?.length) return [node];
  return node.childNodes.flatMap(leaves);
}

/** The first readable text part: text/plain before text/html, never one sent as an attachment. */
export function firstTextPart(root: MessageStructureObject): { part: string; type: TextType } | null {
  const all = leaves(root);
  for (const type of ['text/plain', 'text/html'] as const) {
    const hit = all.find((n) => n.type.toLowerCase() === type && !isAttachment(n));
    if (hit) return { part: hit.part ?? '1', type };
  }
  return null;
}

/** Every part other than the one read, by name, type and size. */
export function omittedParts(root: MessageStructureObject, readPart: string | null): OmittedPart[] {
  return leaves(root)
    .filter((n) => (n.part ?? '1') !== readPart)
    .map((n) => ({
      filename: (n.dispositionParameters?.filename ?? n.parameters?.name ?? `part ${n.part ?? '1'}`).slice(
        0,
        255,
      ),
      contentType: n.type.toLowerCase(),
      size: n.size ?? 0,
    }));
}

const replacedHeaders = new Set(['content-type', 'content-transfer-encoding', 'mime-version']);

/** The mail's own header section with the text read as its only body (UTF-8, base64). */
export function cutSource(header: Buffer, text: string, type: TextType): Buffer {
  const kept: string[] = [];
  let skipping = false;
  for (const line of header.toString('latin1').split(/\r?\n/)) {
    if (!line) continue;
    if (line[0] !== ' ' && line[0] !== '\t') {
      skipping = replacedHeaders.has(line.slice(0, line.indexOf(':')).trim().toLowerCase());
    }
    if (!skipping) kept.push(line);
  }
  const body = (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
  const head = `${kept.join('\r\n')}\r\nMIME-Version: 1.0\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(`${body}\r\n`)]);
}

/** The cut form of one large mail, or null if the server no longer has it. */
export async function fetchCutMail(client: ImapFlow, uid: number, size: number): Promise<FetchedMail | null> {
  const msg = await client.fetchOne(
    String(uid),
    { uid: true, bodyStructure: true, headers: true, internalDate: true },
    { uid: true },
  );
  if (msg === false || !msg.headers) return null;
  const text = msg.bodyStructure ? firstTextPart(msg.bodyStructure) : null;
  let content = '';
  if (text) {
    const download = await client.download(String(uid), text.part, {
      uid: true,
      maxBytes: firstTextMaxBytes,
    });
    if (download.content) content = (await collect(download.content)).toString('utf8');
  }
  const date = msg.internalDate ? new Date(msg.internalDate) : null;
  return {
    uid,
    source: cutSource(msg.headers, content, text?.type ?? 'text/plain'),
    internalDate: date && !Number.isNaN(date.getTime()) ? date : undefined,
    cut: { size, omittedParts: msg.bodyStructure ? omittedParts(msg.bodyStructure, text?.part ?? null) : [] },
  };
}
