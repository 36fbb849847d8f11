import { randomUUID } from 'node:crypto';
import { headerSafe } from '../channels/email/header-safe.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Channel, Locale, TemplateKey } from '../vocabulary.js';
import { type RenderSandbox, TemplateRenderError } from './render-sandbox.js';
import type { ReplyContext } from './reply-context.js';
import type { TemplateStore } from './template-store.js';

export interface ComposedReply {
  templateKey: TemplateKey;
  templateVersion: number;
  subject: string;
  text: string;
  /** The plan facts the text states, comma-separated (`type,hours,contactMethods,price`), for the trail. */
  factsStated: string;
}

const factNames = ['type', 'hours', 'contactMethods', 'price'] as const;

/** Which of the plan's facts, as the context words them, the rendered text contains. */
export function factsStated(support: ReplyContext['support'], text: string): string {
  return factNames.filter((f) => support[f] && text.includes(support[f])).join(',');
}

/** Makes sure the case tag (in the profile's format) is in the subject even if an admin's template dropped it. */
export function withCaseTag(subject: string, tag: string): string {
  const flat = headerSafe(subject);
  return flat.includes(tag) ? flat : headerSafe(`${tag} ${flat}`);
}

export function newMessageId(supportAddress: string, caseNumber: string): string {
  const domain = supportAddress.split('@')[1] ?? 'localhost';
  return `<case-${caseNumber}.${randomUUID()}@${domain}>`;
}

/**
 * Renders a template for a case. An admin's version that fails to render falls back to the newest earlier
 * version that does (down to the shipped default), so a bad edit never leaves a customer without an answer;
 * the failure is logged, counted and recorded as an alert on the template.
 */
export async function composeReply(
  deps: {
    templates: Pick<TemplateStore, 'get' | 'earlier' | 'recordFailure'>;
    sandbox: RenderSandbox;
    logger: Logger;
    metrics?: Pick<Metrics, 'templateFallbacks'>;
  },
  key: TemplateKey,
  locale: Locale,
  context: ReplyContext,
  channel: Channel = 'email',
): Promise<ComposedReply> {
  const source = await deps.templates.get(key, locale, channel);
  const plain = JSON.parse(JSON.stringify(context)) as Record<string, unknown>;
  try {
    const out = await deps.sandbox.render({ subject: source.subject, body: source.body }, plain);
    return finish(key, source.version, out, context);
  } catch (err) {
    if (!(err instanceof TemplateRenderError) || source.version === 0) throw err;
    deps.logger.error(
      { err, key, locale, version: source.version },
      'template version failed to render, using an earlier one',
    );
    deps.metrics?.templateFallbacks.inc({ template: `${channel}/${key}/${locale}` });
    await deps.templates
      .recordFailure(key, locale, channel, source.version, err.message)
      .catch((e) => deps.logger.warn({ err: e, key }, 'template failure not recorded'));
    return renderEarlier(deps, key, locale, channel, source.version, plain, context);
  }
}

/** The newest version below `below` that renders; the shipped default's error if none does. */
async function renderEarlier(
  deps: { templates: Pick<TemplateStore, 'earlier'>; sandbox: RenderSandbox },
  key: TemplateKey,
  locale: Locale,
  channel: Channel,
  below: number,
  plain: Record<string, unknown>,
  context: ReplyContext,
): Promise<ComposedReply> {
  const earlier = await deps.templates.earlier(key, locale, channel, below);
  for (const [i, version] of earlier.entries()) {
    try {
      const out = await deps.sandbox.render({ subject: version.subject, body: version.body }, plain);
      return finish(key, version.version, out, context);
    } catch (err) {
      if (!(err instanceof TemplateRenderError) || i === earlier.length - 1) throw err;
    }
  }
  throw new Error(`no version of ${key}/${locale} to fall back to`);
}

function finish(
  key: TemplateKey,
  version: number,
  out: Record<string, string>,
  context: ReplyContext,
): ComposedReply {
  const text = (out.body ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return {
    templateKey: key,
    templateVersion: version,
    subject: withCaseTag(out.subject ?? '', context.case.tag || `[Case #${context.case.number}]`),
    text,
    factsStated: factsStated(context.support, text),
  };
}
