import EmailReplyParser from 'email-reply-parser';

// Where quoted history or a signature starts, for the mail clients our customers use. email-reply-parser
// knows the English ones; Japanese clients and Outlook's header blocks need this table.
const cutMarkers: RegExp[] = [
  /^-{2,}\s*(Original Message|元のメッセージ|Forwarded message|転送されたメッセージ)\s*-{2,}/i,
  // Gmail (ja): "2026年11月25日(水) 10:00 山田 太郎 <taro@example.jp>:" (a wrapped address is handled below)
  /^\d{4}年\d{1,2}月\d{1,2}日\s*[(（].[)）]\s*\d{1,2}:\d{2}.*>\s*[:：]\s*$/,
  /^\d{4}[年/]\d{1,2}[月/]\d{1,2}日?.*\d{1,2}:\d{2}.*(<[^>]+>|さん|様|書きました|wrote)\s*[:：]\s*$/,
  // Outlook header block: From:/差出人: followed by Sent:/送信日時: within the next lines (checked below)
  /^\s*On\s.{5,200}\swrote:\s*$/i,
  /^\s*(Sent from my|iPhoneから送信|iPadから送信|Android\s*から送信|Outlook for (iOS|Android)|Get Outlook for)/i,
  /^_{10,}\s*$/,
];
// Gmail (ja) with the address wrapped: "2026年11月25日(水) 10:00 山田 太郎 <" then "taro@example.jp>:".
const wrappedJaAttribution = /^\d{4}年\d{1,2}月\d{1,2}日\s*[(（].[)）]\s*\d{1,2}:\d{2}.*<\s*$/;
const wrappedJaAddress = /^\s*[^\s<>]+@[^\s<>]+>\s*[:：]\s*$/;
const headerBlockStart = /^\s*(From|差出人|送信者|送信元)\s*[:：]/i;
const headerBlockNext = /^\s*(Sent|Date|送信日時|日時|日付|To|宛先|Subject|件名)\s*[:：]/i;

function firstCutLine(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // A marker on the first line means nothing was typed above the quote; cutReply then keeps the whole text.
    if (cutMarkers.some((re) => re.test(line))) return i;
    if (wrappedJaAttribution.test(line) && wrappedJaAddress.test(lines[i + 1] ?? '')) return i;
    if (i > 0 && headerBlockStart.test(line)) {
      const next = lines.slice(i + 1, i + 4);
      if (next.some((l) => headerBlockNext.test(l))) return i;
    }
    // A run of "> " lines after some text of the customer's own is quoted history.
    if (i > 0 && /^\s*>/.test(line) && lines.slice(0, i).some((l) => l.trim() && !/^\s*>/.test(l))) return i;
  }
  return -1;
}

/** The customer's new words: quoted history and signature removed. Falls back to the whole text if nothing is left. */
export function cutReply(text: string): string {
  const normalised = text.replace(/\r\n?/g, '\n');
  const lines = normalised.split('\n');
  const cut = firstCutLine(lines);
  const head = cut >= 0 ? lines.slice(0, cut).join('\n') : normalised;
  const parsed = new EmailReplyParser().parseReply(head);
  const result = (parsed.trim() ? parsed : head).replace(/\n{3,}/g, '\n\n').trim();
  return result || normalised.trim();
}
