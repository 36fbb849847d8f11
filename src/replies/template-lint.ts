import { replyTemplates, type TemplateKey } from '../vocabulary.js';
import { type RenderSandbox, TemplateRenderError } from './render-sandbox.js';

// One lint for a template, used by the API and the admin page alike: it must parse (line and column of the
// problem), read only variables the reply context has and use only known filters, and, for a template a
// customer receives, state the four facts the partner must disclose when support is charged for: support
// type, service hours, contact method and price.

export interface TemplateProblem {
  /** Where, in the part named; null for a problem without a place (a plan fact left out). */
  line: number | null;
  column: number | null;
  message: string;
  part?: 'subject' | 'body';
}

const facts: readonly [string, string][] = [
  ['type', 'サポートの種類 (support type)'],
  ['hours', 'サービス時間 (service hours)'],
  ['contactMethods', '連絡方法 (contact method)'],
  ['price', '料金 (price)'],
];

/** Templates a customer reads (the automatic replies and the chat transcript). */
export function isCustomerFacing(key: TemplateKey): boolean {
  return (replyTemplates as readonly string[]).includes(key) || key === 'chat_transcript';
}

// Properties Liquid gives every string and list.
const builtIns = new Set(['size', 'first', 'last']);

/** Whether a variable path names something the context has (or a built-in property of it). */
function known(context: unknown, path: readonly unknown[]): boolean {
  let at: unknown = context;
  for (const segment of path) {
    if (Array.isArray(segment)) return true; // a computed index (`a[b]`): checked when it renders
    if ((typeof at === 'string' || Array.isArray(at)) && builtIns.has(String(segment))) return true;
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, String(segment))) return false;
    at = (at as Record<string, unknown>)[String(segment)];
  }
  return true;
}

export async function lintTemplate(
  sandbox: RenderSandbox,
  key: TemplateKey,
  source: { subject: string; body: string },
  sample: Record<string, unknown>,
): Promise<TemplateProblem[]> {
  const parts = { subject: source.subject, body: source.body };
  let analysis: Awaited<ReturnType<RenderSandbox['analyze']>>;
  try {
    analysis = await sandbox.analyze(parts);
  } catch (err) {
    if (!(err instanceof TemplateRenderError)) throw err;
    return [{ line: null, column: null, message: `cannot be read: ${err.message}` }];
  }
  const problems: TemplateProblem[] = analysis.problems.map((p) => ({
    line: p.line,
    column: p.column,
    message: p.message,
    part: p.part as 'subject' | 'body',
  }));
  for (const v of analysis.variables) {
    if (known(sample, v.path)) continue;
    const name = v.path.map((s) => (Array.isArray(s) ? '[…]' : String(s))).join('.');
    problems.push({
      line: v.line,
      column: v.column,
      message: `unknown variable ${name}`,
      part: v.part as 'body',
    });
  }
  if (isCustomerFacing(key)) {
    for (const [fact, label] of facts) {
      const stated = analysis.variables.some((v) => v.path[0] === 'support' && v.path[1] === fact);
      if (!stated)
        problems.push({
          line: null,
          column: null,
          message: `${label} must be stated in customer-facing templates`,
        });
    }
  }
  if (problems.length) return problems;
  return renderProblems(sandbox, key, parts, sample);
}

/**
 * The template rendered for the sample case with the desk open and closed: it must render both ways, and a
 * template customers read must show each plan fact both ways (not only inside a branch that may not run).
 */
async function renderProblems(
  sandbox: RenderSandbox,
  key: TemplateKey,
  parts: { subject: string; body: string },
  sample: Record<string, unknown>,
): Promise<TemplateProblem[]> {
  const desk = sample.desk as Record<string, unknown>;
  const support = sample.support as Record<string, unknown>;
  for (const open of [true, false]) {
    const context = { ...sample, desk: { ...desk, open, nextOpen: desk.nextOpen || 'sample opening time' } };
    let out: Record<string, string>;
    try {
      out = await sandbox.render(parts, context);
    } catch (err) {
      if (!(err instanceof TemplateRenderError)) throw err;
      const when = open ? 'the desk open' : 'the desk closed';
      return [{ line: null, column: null, message: `does not render with ${when}: ${err.message}` }];
    }
    if (!isCustomerFacing(key)) continue;
    const text = `${out.subject ?? ''}\n${out.body ?? ''}`;
    const hidden = facts.filter(
      ([fact]) => String(support[fact] ?? '') && !text.includes(String(support[fact])),
    );
    if (hidden.length)
      return hidden.map(([, label]) => ({
        line: null,
        column: null,
        message: `${label} must be stated in customer-facing templates (it is not shown with the desk ${open ? 'open' : 'closed'})`,
      }));
  }
  return [];
}
