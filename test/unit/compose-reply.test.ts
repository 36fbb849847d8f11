import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { composeReply } from '../../src/replies/compose-reply.js';
import { RenderSandbox } from '../../src/replies/render-sandbox.js';
import type { ReplyContext } from '../../src/replies/reply-context.js';
import type { TemplateSource } from '../../src/replies/template-store.js';
import type { TemplateKey } from '../../src/vocabulary.js';

// A template version that fails to render never leaves the customer without an answer, and an operator
// sees that it happened: the fallback is counted in /metrics.

const sandbox = new RenderSandbox();
afterAll(() => sandbox.close());

const context = { case: { number: '1042', subject: 'Login' }, contact: { greeting: 'Dear Taro' } };

function store(live: { subject: string; body: string; version: number }) {
  return {
    async get(key: TemplateKey, locale: 'ja' | 'en'): Promise<TemplateSource> {
      return { key, locale, ...live };
    },
    async defaultFor() {
      return {
        subject: 'Case received',
        body: '{{ contact.greeting }}, we have your case {{ case.number }}.',
      };
    },
  };
}

describe('composeReply: a version that fails to render', () => {
  it('falls back to the default and counts the fallback', async () => {
    const metrics = createMetrics();
    const reply = await composeReply(
      {
        templates: store({ subject: 'x', body: '{{ case.number | no_such_filter }}', version: 4 }),
        sandbox,
        logger: createLogger('silent'),
        metrics,
      },
      'ack',
      'en',
      context as unknown as ReplyContext,
    );
    expect(reply.templateVersion).toBe(0);
    expect(reply.text).toBe('Dear Taro, we have your case 1042.');
    expect(reply.subject).toBe('[Case #1042] Case received');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^csp_template_fallbacks_total\{template="email\/ack\/en"\} 1$/m);
  });

  it('counts nothing when the live version renders', async () => {
    const metrics = createMetrics();
    const reply = await composeReply(
      {
        templates: store({ subject: 'Hi', body: 'Case {{ case.number }}', version: 2 }),
        sandbox,
        logger: createLogger('silent'),
        metrics,
      },
      'ack',
      'en',
      context as unknown as ReplyContext,
    );
    expect(reply).toMatchObject({ templateVersion: 2, text: 'Case 1042' });
    expect(await metrics.registry.metrics()).not.toMatch(/^csp_template_fallbacks_total\{/m);
  });
});
