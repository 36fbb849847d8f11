import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { launchChromium } from '../test/support/browser.js';
import { createTestDatabase } from '../test/support/database.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../test/support/redis.js';
import { type BenchResult, percentile, round } from './bench-result.js';
import { CleanupStack } from './cleanup-stack.js';
import { localSocketUrl } from './email-bench.js';
import { log } from './email-phases.js';
import { startProductChild } from './product-child.js';

// The admin web in Chromium over a desk with many cases: the size of its scripts against the widget's,
// and the time from navigation to a drawn page (body[data-ready]) for the cases list and a case, against
// the floor measured in the same run: the sign-in page, which calls no API.

const redisUrl = 'redis://127.0.0.1:6379';
const admin = { email: 'bench-admin@partner.example', password: 'bench password 0123456789' };

/** `cases` cases, each with a contact and a customer message, written in one statement. */
async function seed(dbUrl: string, cases: number) {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query(
      `with c as (
         insert into contacts (email, name)
         select 'user' || g || '@contoso.co.jp', 'ユーザー ' || g from generate_series(1, $1) g
         returning id, email),
       k as (
         insert into cases (subject, channel, verified, contact_id, locale, created_at, updated_at, due_at)
         select 'Teams の会議に参加できません ' || c.email, 'email', true, c.id, 'ja', now(), now(),
           now() + interval '1 day'
         from c returning id, subject)
       insert into messages (case_id, direction, author, channel, subject, text, created_at)
       select k.id, 'in', 'customer', 'email', k.subject, repeat('会議に参加しようとするとエラーになります。', 20), now()
       from k`,
      [cases],
    );
  } finally {
    await client.end();
  }
}

async function bytesOf(url: string) {
  const body = Buffer.from(await (await fetch(url)).arrayBuffer());
  return { raw: body.length, gzip: gzipSync(body).length };
}

export async function runAdminBench(opts: { cases: number; loads: number }, results: BenchResult[]) {
  const cleanup = new CleanupStack();
  try {
    log(`admin: database with ${opts.cases} cases, product, Chromium`);
    const testDb = await createTestDatabase();
    cleanup.push('drop the database', () => testDb.drop());
    const prefix = testRedisPrefix();
    cleanup.push('delete the Redis prefix', () => cleanupRedisPrefix(prefix, redisUrl));
    const product = await startProductChild({
      env: {
        DATABASE_URL: localSocketUrl(testDb.url),
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        SUPPORT_ADDRESS: 'support@example.test',
        ADMIN_EMAIL: admin.email,
        ADMIN_PASSWORD: admin.password,
        LOG_LEVEL: 'warn',
      },
    });
    cleanup.push('stop the product', () => product.stop());
    await seed(testDb.url, opts.cases);
    const browser = await launchChromium();
    cleanup.push('close Chromium', () => browser.close());
    const page = await browser.newPage({ locale: 'ja-JP' });
    await page.goto(`${product.url}/admin/sign-in`);
    await page.getByLabel('メールアドレス').fill(admin.email);
    await page.getByLabel('パスワード').fill(admin.password);
    await page.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForURL(`${product.url}/admin`);

    const timeTo = async (path: string) => {
      const ms: number[] = [];
      for (let i = 0; i < opts.loads + 1; i++) {
        const started = performance.now();
        await page.goto(`${product.url}${path}`);
        await page.locator('body[data-ready=true]').waitFor();
        if (i > 0) ms.push(performance.now() - started); // the first load builds and caches the bundle
      }
      return ms;
    };
    const signIn = await browser.newPage({ locale: 'ja-JP' });
    const floor: number[] = [];
    for (let i = 0; i < opts.loads + 1; i++) {
      const started = performance.now();
      await signIn.goto(`${product.url}/admin/sign-in`);
      await signIn.locator('body[data-ready=true]').waitFor();
      if (i > 0) floor.push(performance.now() - started);
    }
    const list = await timeTo('/admin/cases');
    const one = await timeTo('/admin/cases/1500');
    const editor = await timeTo('/admin/templates/ack/ja');
    const floorMedian = percentile(floor, 50);
    const figure = (name: string, ms: number[], note: string) => {
      const median = percentile(ms, 50);
      results.push(
        { name: `admin ${name} median`, value: round(median), unit: 'ms', note },
        { name: `admin ${name} p95`, value: round(percentile(ms, 95)), unit: 'ms' },
        { name: `admin ${name} / floor`, value: round(median / floorMedian, 2), unit: 'x' },
      );
    };
    results.push({
      name: 'admin floor: sign-in page median',
      value: round(floorMedian),
      unit: 'ms',
      note: `navigation to body[data-ready], ${opts.loads} loads`,
    });
    figure('cases list (100 of them)', list, `${opts.cases} cases in the database`);
    figure('case view', one, 'one case with its message, triage, sends');
    figure('template editor', editor, 'CodeMirror bundle, preview and history calls');
    for (const [name, url] of [
      ['admin.js', '/admin/assets/admin.js'],
      ['editor.js', '/admin/assets/editor.js'],
      ['widget.js', '/widget.js'],
    ] as const) {
      const b = await bytesOf(`${product.url}${url}`);
      results.push({ name: `${name} gzip`, value: b.gzip, unit: 'B', note: `${b.raw} B minified` });
    }
  } finally {
    await cleanup.run();
  }
}
