// The line at the top of every agent notification. Whatever an agent's client does to the quote (indents it,
// wraps it in a blockquote, turns HTML into text), the words above this line are the agent's answer.
// The HTML part also carries it hidden, so a client that shows only HTML keeps it out of sight while its
// quote still holds it.

/** Shown at the top of the notification's text, and small and grey at the top of its HTML. */
export const visibleReplyMarker = '##- 返信はこの行より上に書いてください / Reply above this line -##';

/** Carried invisibly at the top of the notification's HTML: plain ASCII no client rewrites. */
export const hiddenReplyMarker = 'csp-reply-above-7d1f';

/** Whether a line (quoted or not, from text or from HTML turned into text) is where the notification starts. */
export function isReplyMarkerLine(line: string): boolean {
  return line.includes(hiddenReplyMarker) || line.includes('Reply above this line -##');
}
