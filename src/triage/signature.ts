// A mail's sign-off and signature say who wrote it, not what is wrong: "Liffey Payments" or "Network
// Services Ltd." must not make a case about billing or networks. The text is cut at the last closing line
// ("Regards,", "よろしくお願いいたします。") when only a short block follows it.

const closingEn =
  /^(?:best regards|kind regards|warm regards|regards|many thanks|thanks|thank you|cheers|best|sincerely|br)[,.!]?$/i;
const closingJa =
  /(?:よろしくお願い(?:いた|致)します|よろしくお願い申し上げます|宜しくお願い(?:いた|致)します|以上、?よろしくお願いします)[。．!！]?$/;
const MAX_SIGNATURE_LINES = 8;
const MAX_SIGNATURE_CHARS = 400;

export function withoutSignature(body: string): string {
  const lines = body.split('\n');
  const from = Math.max(0, lines.length - MAX_SIGNATURE_LINES - 1);
  for (let i = lines.length - 1; i >= from; i--) {
    const line = lines[i]!.trim();
    const en = closingEn.test(line);
    if (!en && !closingJa.test(line)) continue;
    const rest = lines.slice(i + 1).join('\n');
    if (rest.length > MAX_SIGNATURE_CHARS) return body;
    // An English closing goes with its signature; a Japanese one often ends the last sentence, so it stays.
    return lines.slice(0, en ? i : i + 1).join('\n');
  }
  return body;
}
