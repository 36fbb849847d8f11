import { convert as htmlToText } from 'html-to-text';

// HTML mail as readable text (the words, no images, links as their text), and the guard that flattens HTML
// nested too deeply for the parsers to read in reasonable time. Shared by the customer and agent paths.

export function textOfHtml(html: string): string {
  return htmlToText(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { ignoreHref: true } },
      // Headings and table headers keep the writer's case (html-to-text shouts them by default).
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({
        selector,
        options: { uppercase: false },
      })),
      { selector: 'table', options: { uppercaseHeaderCells: false } },
    ],
  });
}

// The HTML parsers behind sanitising and text conversion slow down with the square of the nesting depth:
// a 1 MB mail of nested <div>s takes a minute. Deeper than this, the HTML is flattened before it is read.
export const maxHtmlDepth = 400;
const voidOrOptionalEnd = new Set(
  'area base br col embed hr img input link meta source track wbr p li dt dd option tr td th'.split(' '),
);

/** Deepest element nesting, estimated in one linear pass over the tags. */
export function htmlDepth(html: string): number {
  let depth = 0;
  let max = 0;
  // [^<>]: a '<' with no '>' after it ends the tag there, so the scan stays linear.
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][\w:-]*)(?![\w:-])[^<>]*?(\/?)>/g)) {
    if (m[3] || voidOrOptionalEnd.has(m[2]!.toLowerCase())) continue;
    depth = m[1] ? Math.max(0, depth - 1) : depth + 1;
    if (depth > max) max = depth;
  }
  return max;
}

/** The same words with no nesting left: block tags become line breaks, every other tag goes. */
export function flattenHtml(html: string): string {
  return withoutScripts(html)
    .replace(/<\/?(?:div|p|br|tr|li|h[1-6]|blockquote|table|section|article)\b[^<>]*>/gi, '<br>')
    .replace(/<(?!br>)[^<>]*>/gi, '')
    .replace(/<(?!br>)/gi, '&lt;')
    .replace(/(?:<br>\s*){3,}/g, '<br><br>');
}

/** Script and style elements removed in one forward pass (an unclosed one runs to the end). */
function withoutScripts(html: string): string {
  const lower = html.toLowerCase();
  const open = /<(script|style)\b/gi;
  let out = '';
  let from = 0;
  for (let m = open.exec(html); m; m = open.exec(html)) {
    out += html.slice(from, m.index);
    const close = lower.indexOf(`</${m[1]!.toLowerCase()}`, open.lastIndex);
    const end = close < 0 ? -1 : html.indexOf('>', close);
    from = end < 0 ? html.length : end + 1;
    open.lastIndex = from;
  }
  return out + html.slice(from);
}
