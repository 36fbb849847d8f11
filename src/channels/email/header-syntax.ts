import { rewriteHeaderSection } from './header-section.js';

// Real mail as servers store it: mbox files and some archivers keep the envelope line
// ("From sender@example.com Mon Nov 30 10:00:00 2026") in front of the headers, and older software writes
// obsolete header syntax with white space before the colon ("Subject :", RFC 5322 section 4.5). mailparser
// takes a first line "From  : John <j@x>" for an mbox line and loses the sender, so both are put in the
// modern form before parsing.

// "From " not followed by white space and a colon: the envelope line, not an obsolete From header.
const mboxLine = /^From (?![ \t]*:)[^\n]*\n/;
// The name is printable ASCII without the colon, so a failed match gives up within its own line.
const spaceBeforeColon = /^([\x21-\x39\x3b-\x7e]+)[ \t]+:/gm;

/** The mail without a leading mbox line, its header names written without white space before the colon. */
export function tidyHeaderSyntax(raw: Buffer): Buffer {
  return rewriteHeaderSection(raw, (head) => head.replace(mboxLine, '').replace(spaceBeforeColon, '$1:'));
}
