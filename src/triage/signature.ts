// A mail's sign-off and signature say who wrote it, not what is wrong: "Liffey Payments" or "Network
// Services Ltd." must not make a case about billing or networks. The text is cut at the last closing line
// ("Regards,", "よろしくお願いいたします。") when only a short block of signature lines follows it, and never
// at the first line ("Thanks\nTeams is down for everyone." keeps its problem).

const closingEn =
  /^(?:best regards|kind regards|warm regards|regards|many thanks|thanks|thank you|cheers|best|sincerely|br)[,.!]?$/i;
const closingJa =
  /(?:よろしくお願い(?:いた|致)します|よろしくお願い申し上げます|宜しくお願い(?:いた|致)します|以上、?よろしくお願いします)[。．!！]?$/;
const MAX_SIGNATURE_LINES = 8;
const MAX_SIGNATURE_CHARS = 400;

/** A line a signature has: a name, a title, a company, an address; not a sentence about a problem. */
function signatureLine(line: string): boolean {
  const l = line.trim();
  return (
    l.length <= 80 &&
    !/[。．!?！？]$|[.]$/.test(l.replace(/\b(?:inc|ltd|llc|co|corp|llp|s\.r\.l|k\.k)\.$/i, ''))
  );
}

export function withoutSignature(body: string): string {
  const lines = body.split('\n');
  const from = Math.max(0, lines.length - MAX_SIGNATURE_LINES - 1);
  for (let i = lines.length - 1; i >= from; i--) {
    const line = lines[i]!.trim();
    const en = closingEn.test(line);
    if (!en && !closingJa.test(line)) continue;
    const tail = lines.slice(i + 1);
    if (i === 0 || !tail.every(signatureLine) || tail.join('\n').length > MAX_SIGNATURE_CHARS) return body;
    // An English closing goes with its signature; a Japanese one often ends the last sentence, so it stays.
    return lines.slice(0, en ? i : i + 1).join('\n');
  }
  return body;
}
