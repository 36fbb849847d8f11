import { hiddenReplyMarker, visibleReplyMarker } from './reply-marker.js';

// The HTML part of an agent notification: the rendered text, escaped, in a pre-wrapped block, under the
// reply marker (hidden and visible). Nothing of the customer's can become markup: every character of the
// text is escaped.

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c]!);
}

/** The notification's HTML for its text (which starts under the visible marker line). */
export function notificationHtml(text: string): string {
  return [
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>',
    `<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;font-size:1px;color:#ffffff">${hiddenReplyMarker}</div>`,
    `<p style="color:#888888;font-size:12px;margin:0 0 12px 0">${escapeHtml(visibleReplyMarker)}</p>`,
    `<div style="white-space:pre-wrap;font-family:sans-serif;font-size:14px">${escapeHtml(text)}</div>`,
    '</body></html>',
  ].join('\n');
}
