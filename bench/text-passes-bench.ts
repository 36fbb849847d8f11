import { performance } from 'node:perf_hooks';
import { normaliseMail } from '../src/channels/email/normalise-mail.js';
import { cutReply } from '../src/channels/email/reply-cutter.js';
import { classify } from '../src/triage/classify.js';
import { defaultRules } from '../src/triage/triage-config.js';
import { type BenchResult, percentile, round } from './bench-result.js';

// The text passes over one mail on hostile bodies of 50, 100 and 200 KB. Each pass must be linear in its
// input: the 100 KB and 200 KB times should be about 2x and 4x the 50 KB one (a quadratic pass shows 4x and
// 16x). Figures only; nothing is asserted here (the unit tests pin the line visits).

const sizes = [50, 100, 200] as const;

/** Repeats `unit` until the text is `kb` KB long. */
function fill(unit: string, kb: number): string {
  return unit.repeat(Math.ceil((kb * 1024) / unit.length)).slice(0, kb * 1024);
}

const cutterInputs: Record<string, (kb: number) => string> = {
  // Own words, then thousands of quote lines: the shape that once rescanned every earlier line.
  quote_lines: (kb) => `Please see below.\n${fill('> > > > quoted\n', kb)}`,
  // A bottom-posted reply: quote lines first, the customer's words at the very end.
  quoted_first: (kb) => `${fill('> > > > quoted\n', kb)}\nMy answer.`,
  long_line: (kb) => `2026/11/25 ${fill('1:11 <a> from ', kb)}:`,
  alternating: (kb) => fill('text line\n> quote line\n', kb),
  cr_only: (kb) => fill('> > quoted\r\r', kb),
};

// HTML-only mail through normalise (sanitize-html, html-to-text, the depth check and flattening).
const htmlInputs: Record<string, string> = {
  unclosed_tags: '<div><a href="x">link <p>para <b>bold ',
  paragraphs: '<p>x',
  line_breaks: '<br>  ',
  open_tag_no_end: '<a ',
};

// HTML replies to an agent notification (sent to a reply address, so the agent's words are read out too).
const agentHtmlInputs: Record<string, (kb: number) => string> = {
  tag_name_no_end: (kb) => `<${fill('a', kb)}`,
  nested_quotes: (kb) => `Answer.${fill('<blockquote type="cite">', kb)}`,
  many_divs: (kb) => `Answer.<div id="appendonsend"></div>${fill('<div class="x">q</div>', kb)}`,
};

// Customer text through triage (scope, services, sentences, the default rules, the second part of a mixed
// contact): digit runs after a kana once made the scope pattern rescan from every position.
const triageInputs: Record<string, (kb: number) => string> = {
  digits_after_kana: (kb) => `あ${fill('1', kb)}`,
  sentences: (kb) => fill('Teams が全員使えません。ライセンスを3つ追加したいです。', kb),
  no_spaces_english: (kb) => fill('outlookteamssharepointdown', kb),
  signature_lines: (kb) => `Teams is down.\nRegards,\n${fill('Name Title Company\n', kb)}`,
};

function triageRun(text: string) {
  const rules = defaultRules();
  return () =>
    classify({
      subject: '',
      body: text,
      channel: 'email',
      locale: 'ja',
      customer: { id: 'c', relationship: 'direct', planId: null },
      verified: true,
      withinHours: true,
      incidents: [],
      rules,
    });
}

function htmlMail(unit: string, kb: number, to = 'support@example.test', body = fill(unit, kb)): Buffer {
  return Buffer.from(
    `From: a@example.test\r\nTo: ${to}\r\nSubject: html\r\nMessage-ID: <h${kb}@example.test>\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${body}\r\n`,
  );
}

// Sub-millisecond runs are timer noise on a shared machine: each sample repeats the run until it takes ~20 ms.
async function medianMs(run: () => unknown | Promise<unknown>, samples = 7): Promise<number> {
  let started = performance.now();
  await run();
  const reps = Math.max(1, Math.ceil(20 / Math.max(performance.now() - started, 0.001)));
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    started = performance.now();
    for (let r = 0; r < reps; r++) await run();
    times.push((performance.now() - started) / reps);
  }
  return percentile(times, 50);
}

async function measure(
  name: string,
  run: (kb: number) => unknown | Promise<unknown>,
  results: BenchResult[],
): Promise<void> {
  // Warm the JIT on every size first, so the first figure is not the one that paid for compiling.
  for (const kb of sizes) await run(kb);
  const ms: number[] = [];
  for (const kb of sizes) {
    const t = await medianMs(() => run(kb));
    ms.push(t);
    results.push({ name: `${name}_${kb}kb_ms`, value: round(t, 2), unit: 'ms', note: 'median of 7 samples' });
  }
  const base = ms[0]! || Number.EPSILON;
  results.push({
    name: `${name}_ratio_100_200_over_50`,
    value: round(ms[2]! / base, 2),
    unit: 'x',
    note: `100 KB ${round(ms[1]! / base, 2)}x, 200 KB ${round(ms[2]! / base, 2)}x the 50 KB time (linear: ~2x, ~4x)`,
  });
  process.stdout.write(`text: ${name} ${ms.map((t) => `${round(t, 2)} ms`).join(' / ')}\n`);
}

export async function runTextPassesBench(results: BenchResult[]): Promise<void> {
  for (const [shape, make] of Object.entries(triageInputs)) {
    const runs = new Map(sizes.map((kb) => [kb, triageRun(make(kb))]));
    await measure(`triage_${shape}`, (kb) => runs.get(kb as (typeof sizes)[number])!(), results);
  }
  for (const [shape, make] of Object.entries(cutterInputs)) {
    const inputs = new Map(sizes.map((kb) => [kb, make(kb)]));
    await measure(
      `reply_cutter_${shape}`,
      (kb) => cutReply(inputs.get(kb as (typeof sizes)[number])!),
      results,
    );
  }
  const options = { supportAddress: 'support@example.test', attachmentMaxBytes: 5 * 1024 * 1024 };
  for (const [shape, unit] of Object.entries(htmlInputs)) {
    const mails = new Map(sizes.map((kb) => [kb, htmlMail(unit, kb)]));
    await measure(
      `normalise_html_${shape}`,
      (kb) => normaliseMail(mails.get(kb as (typeof sizes)[number])!, options),
      results,
    );
  }
  for (const [shape, make] of Object.entries(agentHtmlInputs)) {
    const mails = new Map(sizes.map((kb) => [kb, htmlMail('', kb, 'support+x@example.test', make(kb))]));
    await measure(
      `agent_reply_html_${shape}`,
      (kb) => normaliseMail(mails.get(kb as (typeof sizes)[number])!, options),
      results,
    );
  }
}
