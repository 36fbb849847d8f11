import { flattenHtml, htmlDepth, maxHtmlDepth, textOfHtml } from '../channels/email/html-text.js';
import { hiddenReplyMarker } from './reply-marker.js';

// The HTML side of reading an agent's answer: where the client's quote of the notification starts, and the
// answer above it turned into text. Every pass here is linear in the HTML's length: tags are found with
// patterns that stop at the next '<' or '>', each tag's attributes are read once, and the look-ahead after
// an Outlook header div is a bounded window.

// The HTML's inline images stand in its text as their Content-ID between these two private-use characters,
// so that the lines they stand on tell which of them the kept answer shows.
export const cidOpen = '\uE000';
export const cidClose = '\uE001';

/** Work done, for tests: characters of attributes and look-ahead windows read. */
export interface HtmlWork {
  units: number;
}

// ids and classes mail clients give the element their quote (or their signature) starts with.
const quoteIds = new Set([
  'divrplyfwdmsg', // Outlook on the web, Outlook for iOS/Android, new Outlook
  'appendonsend', // Outlook on the web: the empty div just above the quote
  'mail-editor-reference-message-container', // Outlook desktop and new Outlook (2021 on)
  'ms-outlook-mobile-signature', // Outlook for iOS/Android: "Get Outlook for iOS"
  'ms-outlook-ios-signature',
  'ms-outlook-android-signature',
  'signature', // Outlook on the web's signature block
  'applemailsignature', // Mail on iOS: "Sent from my iPhone"
  'composer_signature', // Samsung Email: "Sent from my Galaxy"
]);
const quoteClasses = [
  'gmail_quote', // also gmail_quote_container
  'gmail_signature', // also gmail_signature_prefix, the "-- " above it
  'moz-cite-prefix', // Thunderbird: "On ... wrote:"
  'moz-signature',
  'yahoo_quoted',
  'outlookmessageheader',
  'zmail_extra',
  'protonmail_quote',
];
// The name may not give back characters to the attributes (`(?![\w:-])`): `<aaaa...` with no `>` would
// otherwise be tried at every split of its letters, quadratic in their number.
const tagPattern = /<([a-zA-Z][\w:-]*)(?![\w:-])([^<>]*)>/g;
// An Outlook desktop header block: a div with a top border only, holding "From:" (or its translation).
const headerLabel = /^\s*(From|差出人|送信者|送信元|Von|De)\s*[:：]/i;
const lookAhead = 600;

const attributePatterns = new Map(
  ['id', 'class', 'style', 'type', 'name'].map((name) => [
    name,
    new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i'),
  ]),
);

/** An attribute's value (lower case), or null. Linear in the attribute text. */
function attribute(attrs: string, name: 'id' | 'class' | 'style' | 'type' | 'name'): string | null {
  const m = attributePatterns.get(name)!.exec(attrs);
  return m ? (m[1] ?? m[2] ?? m[3] ?? '').toLowerCase() : null;
}

/** Whether the div opening at `end` (just past its tag) is Outlook desktop's "From:/Sent:" block. */
function isOutlookHeaderDiv(html: string, attrs: string, end: number, work: HtmlWork): boolean {
  const style = attribute(attrs, 'style')?.replace(/\s+/g, '');
  if (!style?.includes('border-top:solid') || !style.includes('border:none')) return false;
  let window = html.slice(end, end + lookAhead);
  work.units += window.length;
  const nextDiv = window.search(/<div\b/i);
  if (nextDiv >= 0) window = window.slice(0, nextDiv);
  return headerLabel.test(window.replace(/<[^<>]*>/g, '').replace(/&nbsp;/gi, ' '));
}

/** Whether a tag starts a client's quote or signature. */
function isQuoteTag(html: string, name: string, attrs: string, end: number, work: HtmlWork): boolean {
  work.units += attrs.length + 1;
  if (!attrs.trim()) return false;
  const id = attribute(attrs, 'id');
  if (id !== null && quoteIds.has(id)) return true;
  const cls = attribute(attrs, 'class');
  if (cls !== null && quoteClasses.some((c) => cls.includes(c))) return true;
  if (name === 'blockquote') return attribute(attrs, 'type') === 'cite';
  // Outlook desktop marks where it put the signature with a bookmark.
  if (name === 'a') return attribute(attrs, 'name') === '_mailautosig';
  return name === 'div' && isOutlookHeaderDiv(html, attrs, end, work);
}

/** Where in the HTML the quoted notification (or a client's signature block) starts, or -1. */
export function htmlQuoteStart(html: string, work: HtmlWork = { units: 0 }): number {
  // The marker the notification hides at its top: wherever a client put the quote, it holds this.
  const hidden = html.indexOf(hiddenReplyMarker);
  const limit = hidden < 0 ? html.length : Math.max(0, html.lastIndexOf('<', hidden));
  tagPattern.lastIndex = 0;
  for (let m = tagPattern.exec(html); m && m.index < limit; m = tagPattern.exec(html)) {
    const name = m[1]!.toLowerCase();
    if (isQuoteTag(html, name, m[2]!, tagPattern.lastIndex, work)) return m.index;
  }
  return hidden < 0 ? -1 : limit;
}

/** Each `<img src="cid:…">` replaced by its Content-ID between the token characters (see agent-reply-text.ts). */
function cidTokens(html: string): string {
  return html.replace(/<img\b([^<>]*)>/gi, (tag, attrs: string) => {
    const m = /(?:^|\s)src\s*=\s*(?:"\s*cid:([^"]*)"|'\s*cid:([^']*)'|cid:([^\s"'>]+))/i.exec(attrs);
    const cid = (m?.[1] ?? m?.[2] ?? m?.[3] ?? '').trim();
    return cid && cid.length <= 250 && !/[\uE000\uE001]/.test(cid) ? `${cidOpen}${cid}${cidClose}` : tag;
  });
}

/**
 * Word (Outlook desktop) writes every line as a paragraph with no margin; as HTML paragraphs they would come
 * out with a blank line between each. As divs they read as the writer saw them.
 */
function wordParagraphsAsLines(html: string): string {
  if (!/class=["']?Mso/i.test(html)) return html;
  let open = false;
  return html.replace(/<(\/?)p\b([^<>]*)>/gi, (tag, close: string, attrs: string) => {
    if (close) {
      if (!open) return tag;
      open = false;
      return '</div>';
    }
    open = /class=["']?Mso/i.test(attrs);
    return open ? '<div>' : tag;
  });
}

// The answer is at the top: of a longer HTML (one with no quote found, say) only this much is read.
const maxAnswerHtml = 1_000_000;

/** The text of HTML, inline images standing as cid tokens; blockquotes as plain blocks unless `quotes`. */
function textOf(html: string, quotes: boolean): string {
  let kept = html;
  // A tag cut in two at the limit is dropped rather than read as text.
  if (kept.length > maxAnswerHtml) kept = kept.slice(0, maxAnswerHtml).replace(/<[^<>]*$/, '');
  kept = wordParagraphsAsLines(cidTokens(kept));
  // Above the quote, a blockquote is the agent's own indent (Gmail's "Indent more"): its lines are theirs,
  // not "> " quotes.
  if (!quotes) kept = kept.replace(/<(\/?)blockquote\b[^<>]*>/gi, '<$1div>');
  if (htmlDepth(kept) > maxHtmlDepth) kept = flattenHtml(kept);
  return textOfHtml(kept);
}

/** The text of the HTML above the client's quote. */
export function htmlAnswerText(html: string): string {
  const start = htmlQuoteStart(html);
  return textOf(start < 0 ? html : html.slice(0, start), false);
}

/** The text of the whole HTML, its quotes as "> " lines (for an answer written under the quote). */
export function htmlWholeText(html: string): string {
  return textOf(html, true);
}
