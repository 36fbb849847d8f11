import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { addContoso } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The widget in a real browser (Debian's Chromium through playwright-core), on the demo page.

describe('chat widget in Chromium: demo page, acknowledgement, history, live agent answer, text only', () => {
  let p: ProductUnderTest;
  let browser: Browser;
  let page: Page;
  let caseNumber = 0;

  beforeAll(async () => {
    p = await startProduct({
      SECRET_KEY: 'session-signing-key-for-tests-0123456789',
      CHAT_DEMO_SIGN_IN: 'true',
    });
    await addContoso(p);
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await p?.stop();
  });

  it('loads the demo page signed in as a sample customer, and the widget opens', async () => {
    await page.goto(`${p.url}/?email=taro%40contoso.co.jp&name=${encodeURIComponent('山田 太郎')}&locale=ja`);
    await expect.poll(() => page.locator('#who').textContent()).toContain('taro@contoso.co.jp');
    const launcher = page.locator('#csp-chat-widget .launcher');
    await launcher.click();
    await expect.poll(() => launcher.getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => page.locator('#csp-chat-widget .panel').isVisible()).toBe(true);
    expect(await page.locator('#csp-chat-widget ol').getAttribute('aria-live')).toBe('polite');
    expect(await page.locator('#csp-chat-widget label[for="csp-chat-input"]').textContent()).toBe(
      'メッセージ',
    );
    await expect.poll(() => page.locator('#csp-chat-widget .state').textContent()).toBe('接続済み');
  });

  it('a message gets the acknowledgement in the widget', async () => {
    await page.locator('#csp-chat-input').fill('Teams の会議に参加できません');
    await page.locator('#csp-chat-input').press('Enter');
    const system = page.locator('#csp-chat-widget li[data-author="system"]');
    await expect.poll(() => system.count(), { timeout: 15_000 }).toBe(1);
    const text = (await system.textContent()) ?? '';
    caseNumber = Number(/受付番号 (\d+)/.exec(text)?.[1]);
    expect(caseNumber).toBeGreaterThan(0);
    expect(text).toContain('スタンダード サポート (パートナー提供)');
    expect(text).toContain('03-1234-5678');
    expect(text).toContain('￥50,000');
    const kase = await p.api<{ verified: boolean; channel: string }>('GET', `/api/cases/${caseNumber}`);
    expect(kase.body).toMatchObject({ verified: true, channel: 'chat' });
  });

  it('keeps the conversation after a reload', async () => {
    await page.reload();
    const items = page.locator('#csp-chat-widget li');
    await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('#csp-chat-widget li[data-author="customer"]').textContent()).toContain(
      'Teams の会議に参加できません',
    );
    expect(await page.locator('#csp-chat-widget .case').textContent()).toContain(String(caseNumber));
  });

  it('shows an agent answer posted through the API live', async () => {
    const posted = await p.api<{ id: string }>('POST', `/api/cases/${caseNumber}/replies`, {
      text: 'ブラウザ版の Teams からお試しください。',
    });
    expect(posted.status).toBe(201);
    const agent = page.locator(`#csp-chat-widget li[data-author="agent"][data-id="${posted.body.id}"]`);
    await expect.poll(() => agent.count(), { timeout: 15_000 }).toBe(1);
    expect(await agent.textContent()).toContain('ブラウザ版の Teams からお試しください。');
  });

  it('shows script in a message as text and never runs it', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    await page.locator('#csp-chat-input').fill(hostile);
    await page.locator('#csp-chat-input').press('Enter');
    const mine = page.locator('#csp-chat-widget li[data-author="customer"]').last();
    await expect.poll(() => mine.textContent()).toContain(hostile);
    await expect.poll(() => mine.getAttribute('class')).not.toContain('pending');
    expect(await page.locator('#csp-chat-widget li img, #csp-chat-widget li script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBe(undefined);
    // An agent answer with markup is text too.
    await p.api('POST', `/api/cases/${caseNumber}/replies`, { text: '<b onclick="x()">bold?</b>' });
    const agentMarkup = page.locator('#csp-chat-widget li[data-author="agent"]').last();
    await expect
      .poll(() => agentMarkup.textContent(), { timeout: 15_000 })
      .toContain('<b onclick="x()">bold?</b>');
    expect(await page.locator('#csp-chat-widget li b').count()).toBe(0);
  });

  it('counts unread answers on the launcher while closed, and clears them on opening', async () => {
    await page.locator('#csp-chat-widget .close').click();
    await expect.poll(() => page.locator('#csp-chat-widget .panel').isVisible()).toBe(false);
    await p.api('POST', `/api/cases/${caseNumber}/replies`, { text: '閉じている間の回答です。' });
    const badge = page.locator('#csp-chat-widget .badge');
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toBe('1');
    expect(await badge.isVisible()).toBe(true);
    await page.locator('#csp-chat-widget .launcher').click();
    await expect.poll(() => badge.isVisible()).toBe(false);
  });

  it('sends again, once, a message that was typed but never acknowledged before a reload', async () => {
    // What the widget keeps when the connection drops before the ack: the text and its clientId.
    await page.evaluate(() => {
      const key = Object.keys(localStorage)
        .find((k) => k.endsWith(':token'))!
        .replace(/:token$/, ':pending');
      localStorage.setItem(
        key,
        JSON.stringify([{ clientId: 'offline-typed-1', text: 'オフライン中に入力しました' }]),
      );
    });
    await page.reload();
    const mine = page.locator('#csp-chat-widget li[data-author="customer"]', {
      hasText: 'オフライン中に入力しました',
    });
    await expect.poll(() => mine.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => mine.getAttribute('class')).not.toContain('pending');
    // A second reload sends nothing again: the ack cleared it, and the server keeps one message.
    await page.reload();
    await expect
      .poll(() => page.locator('#csp-chat-widget li').count(), { timeout: 15_000 })
      .toBeGreaterThan(3);
    const kase = await p.api<{ messages: Array<{ text: string }> }>('GET', `/api/cases/${caseNumber}`);
    expect(kase.body.messages.filter((m) => m.text === 'オフライン中に入力しました')).toHaveLength(1);
    expect(await mine.count()).toBe(1);
  });
});
