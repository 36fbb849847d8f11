import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { composeReply, factsStated } from '../../src/replies/compose-reply.js';
import { RenderSandbox } from '../../src/replies/render-sandbox.js';
import type { ReplyContext } from '../../src/replies/reply-context.js';
import type { TemplateSource } from '../../src/replies/template-store.js';
import type { TemplateKey } from '../../src/vocabulary.js';

// A template version that fails to render never leaves the customer without an answer, and an operator
// sees that it happened: the fallback is counted in /metrics.

const sandbox = new RenderSandbox();
afterAll(() => sandbox.close());

const context = {
  case: { number: '1042', subject: 'Login' },
  contact: { greeting: 'Dear Taro' },
  support: {
    type: 'Standard',
    hours: '24/7',
    contactMethods: 'email: support@example.test',
    price: 'included',
  },
};

const shipped = {
  subject: 'Case received',
  body: '{{ contact.greeting }}, we have your case {{ case.number }}.',
};

function store(
  live: { subject: string; body: string; version: number },
  older: { subject: string; body: string; version: number }[] = [],
) {
  const failures: { version: number; error: string }[] = [];
  return {
    failures,
    async get(key: TemplateKey, locale: 'ja' | 'en'): Promise<TemplateSource> {
      return { key, locale, ...live };
    },
    async earlier(key: TemplateKey, locale: 'ja' | 'en'): Promise<TemplateSource[]> {
      return [...older, { ...shipped, version: 0 }].map((v) => ({ key, locale, ...v }));
    },
    async recordFailure(
      _key: TemplateKey,
      _locale: 'ja' | 'en',
      _channel: string,
      version: number,
      error: string,
    ) {
      failures.push({ version, error });
    },
  };
}

describe('composeReply: a version that fails to render', () => {
  it('falls back to the newest earlier version that renders, not the default, and records the alert', async () => {
    const templates = store({ subject: 'x', body: '{{ case.number | no_such_filter }}', version: 5 }, [
      { subject: 'v4', body: '{{ case.nope | upcase | no_such_filter }}', version: 4 },
      { subject: 'Re: {{ case.subject }}', body: 'Version three: {{ case.number }}', version: 3 },
    ]);
    const reply = await composeReply(
      { templates, sandbox, logger: createLogger('silent'), metrics: createMetrics() },
      'ack',
      'en',
      context as unknown as ReplyContext,
    );
    expect(reply).toMatchObject({
      templateVersion: 3,
      text: 'Version three: 1042',
      subject: '[Case #1042] Re: Login',
    });
    expect(templates.failures).toEqual([{ version: 5, error: expect.stringContaining('no_such_filter') }]);
  });

  it('falls back to the default when no earlier version renders, and counts the fallback', async () => {
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

describe('factsStated', () => {
  it('names the plan facts the text states, as the context words them', () => {
    const support = context.support as unknown as ReplyContext['support'];
    expect(factsStated(support, 'Support: Standard, 24/7, price: included')).toBe('type,hours,price');
    expect(factsStated(support, 'nothing here')).toBe('');
  });
});
