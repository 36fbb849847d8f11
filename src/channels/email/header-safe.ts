// No CR, LF or other control character from any input may reach an outgoing header.
export function headerSafe(value: string, maxLength = 900): string {
  const flat = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

/** A Message-ID as it may appear in In-Reply-To/References: one <token>, nothing else. */
export function safeMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /<([^<>\s\u0000-\u001f\u007f-\u009f\u2028\u2029]{1,250})>/.exec(value);
  return m ? `<${m[1]}>` : null;
}
