import { afterAll, describe, expect, it } from 'vitest';
import { RenderSandbox, SandboxError, TemplateRenderError } from '../../src/replies/render-sandbox.js';

const sandbox = new RenderSandbox();
// Below liquidjs's own renderLimit (1,000 ms), so a long render is stopped by the thread timeout, not by liquidjs.
const hardTimeoutMs = 700;
const quick = new RenderSandbox({ timeoutMs: hardTimeoutMs });

afterAll(async () => {
  await sandbox.close();
  await quick.close();
});

// ~10^9 loop steps with no output: nothing for the memory limit to count, only time.
const endless =
  '{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}';

async function renderError(
  s: RenderSandbox,
  body: string,
  context: Record<string, unknown> = {},
  kind: typeof TemplateRenderError | typeof SandboxError = TemplateRenderError,
) {
  try {
    await s.render({ body }, context);
  } catch (err) {
    expect(err).toBeInstanceOf(kind);
    return (err as Error).message;
  }
  throw new Error(`rendered although it should not: ${body}`);
}

describe('RenderSandbox: rendering', () => {
  it('renders every part with the context', async () => {
    const out = await sandbox.render(
      { subject: '[Case #{{ case.number }}] {{ case.subject }}', body: '{{ greeting }} {{ n | plus: 1 }}' },
      { case: { number: '1042', subject: 'Login fails' }, greeting: '山田 太郎 様', n: 41 },
    );
    expect(out).toEqual({ subject: '[Case #1042] Login fails', body: '山田 太郎 様 42' });
  });

  it('supports if/else and ordinary filters', async () => {
    const out = await sandbox.render(
      { body: '{% if due != "" %}by {{ due }}{% else %}soon{% endif %}|{{ name | upcase }}' },
      { due: '', name: 'contoso' },
    );
    expect(out.body).toBe('soon|CONTOSO');
  });

  it('renders several requests in parallel, each with its own result', async () => {
    const outs = await Promise.all([1, 2, 3, 4, 5].map((n) => sandbox.render({ body: '#{{ n }}' }, { n })));
    expect(outs.map((o) => o.body)).toEqual(['#1', '#2', '#3', '#4', '#5']);
  });
});

describe('RenderSandbox: strictness', () => {
  it('an undefined variable is an error', async () => {
    expect(await renderError(sandbox, 'Hello {{ missing }}')).toMatch(/undefined variable: missing/);
  });

  it('an undefined nested property is an error', async () => {
    expect(await renderError(sandbox, '{{ case.nope }}', { case: { number: '1' } })).toMatch(
      /undefined variable: case\.nope/,
    );
  });

  it('an unknown filter is an error', async () => {
    expect(await renderError(sandbox, '{{ "x" | shout }}')).toMatch(/undefined filter: shout/);
  });
});

describe('RenderSandbox: no file access', () => {
  it.each([
    '{% include "/etc/passwd" %}',
    '{% include "../../package.json" %}',
    '{% render "../../package.json" %}',
    '{% layout "/etc/passwd" %}',
    '{% include "src/config.ts" %}',
  ])('%s fails without reading the file', async (body) => {
    const message = await renderError(sandbox, body);
    expect(message).toMatch(/ENOENT|Failed to lookup/);
    expect(message).not.toContain('root:');
    expect(message).not.toContain('csp-support-intake');
  });
});

describe('RenderSandbox: no prototype access', () => {
  it.each([
    ['{{ x.constructor }}', { x: {} }],
    ['{{ x.constructor.name }}', { x: {} }],
    ['{{ x.__proto__ }}', { x: {} }],
    ['{{ s.constructor }}', { s: 'abc' }],
    ['{{ x.hasOwnProperty }}', { x: { a: 1 } }],
  ])('%s fails', async (body, context) => {
    expect(await renderError(sandbox, body, context)).toMatch(/undefined variable/);
  });

  it('own data is still readable', async () => {
    expect((await sandbox.render({ body: '{{ x.a }} {{ s.size }}' }, { x: { a: 1 }, s: 'abc' })).body).toBe(
      '1 3',
    );
  });
});

describe('RenderSandbox: runaway templates', () => {
  it("a huge range is stopped by liquidjs's memory limit", async () => {
    expect(await renderError(sandbox, '{% for i in (1..100000000) %}{{ i }}{% endfor %}')).toMatch(
      /limit exceeded/,
    );
  });

  it("a long loop is stopped by liquidjs's render limit, and the sandbox keeps working", async () => {
    expect(await renderError(sandbox, endless)).toMatch(/render limit exceeded/);
    expect((await sandbox.render({ body: 'ok {{ n }}' }, { n: 1 })).body).toBe('ok 1');
  });

  // A kill is the thread's failure, not the template's (no version is blamed for it; the job tries again).
  it('the hard timeout kills the thread, and the next render runs on a new thread', async () => {
    // Warm the thread, so the timeout below is spent rendering rather than starting.
    expect((await quick.render({ body: 'warm' }, {})).body).toBe('warm');
    const started = Date.now();
    expect(await renderError(quick, endless, {}, SandboxError)).toBe(
      `template render exceeded ${hardTimeoutMs} ms`,
    );
    expect(Date.now() - started).toBeLessThan(hardTimeoutMs + 900);
    expect((await quick.render({ body: 'alive {{ n }}' }, { n: 2 })).body).toBe('alive 2');
  });

  it('a render waiting behind a runaway one fails too, and nothing is left hanging', async () => {
    const runaway = quick.render({ body: endless }, {});
    const queued = quick.render({ body: 'queued' }, {});
    const results = await Promise.allSettled([runaway, queued]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(SandboxError);
    expect((await quick.render({ body: 'after' }, {})).body).toBe('after');
  });
});
