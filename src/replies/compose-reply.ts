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
}

/** Makes sure the case tag is in the subject even if an admin's template dropped it. */
export function withCaseTag(subject: string, caseNumber: string): string {
  const tag = `[Case #${caseNumber}]`;
  const flat = headerSafe(subject);
  return flat.includes(tag) ? flat : headerSafe(`${tag} ${flat}`);
}

export function newMessageId(supportAddress: string, caseNumber: string): string {
  const domain = supportAddress.split('@')[1] ?? 'localhost';
  return `<case-${caseNumber}.${randomUUID()}@${domain}>`;
}

/**
 * Renders a template for a case. An admin's version that fails to render falls back to the shipped
 * default, so a bad edit never leaves a customer without an answer.
 */
export async function composeReply(
  deps: {
    templates: Pick<TemplateStore, 'get' | 'defaultFor'>;
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
    return finish(key, source.version, out, context.case.number);
  } catch (err) {
    if (!(err instanceof TemplateRenderError) || source.version === 0) throw err;
    deps.logger.error(
      { err, key, locale, version: source.version },
      'template version failed to render, using default',
    );
    deps.metrics?.templateFallbacks.inc({ template: `${channel}/${key}/${locale}` });
    const fallback = await deps.templates
      .defaultFor(channel === 'chat' ? `chat/${key}` : key, locale)
      .catch(() => deps.templates.defaultFor(key, locale));
    const out = await deps.sandbox.render(fallback, plain);
    return finish(key, 0, out, context.case.number);
  }
}

function finish(
  key: TemplateKey,
  version: number,
  out: Record<string, string>,
  caseNumber: string,
): ComposedReply {
  return {
    templateKey: key,
    templateVersion: version,
    subject: withCaseTag(out.subject ?? '', caseNumber),
    text: (out.body ?? '')
      .replace(/\r\n?/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
  };
}
