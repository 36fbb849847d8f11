// The top-level header section of a raw mail, read and rewritten as bytes (latin1 keeps every byte as one
// char), so that repairs before parsing never touch the body.

/** Where the top-level header section ends: the start of its blank line, or the end of the mail. */
export function headerSectionEnd(raw: Buffer): number {
  if (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a)) return 0;
  // The first line break followed by an empty line (bare LF or CRLF); one forward scan.
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) {
    if (raw[i + 1] === 0x0a || (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a)) return i + 1;
  }
  return raw.length;
}

/** The mail with its header section put through `rewrite`; the same buffer when nothing changed. */
export function rewriteHeaderSection(raw: Buffer, rewrite: (head: string) => string): Buffer {
  const end = headerSectionEnd(raw);
  const head = raw.subarray(0, end).toString('latin1');
  const next = rewrite(head);
  return next === head ? raw : Buffer.concat([Buffer.from(next, 'latin1'), raw.subarray(end)]);
}
