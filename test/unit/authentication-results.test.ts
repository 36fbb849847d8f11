import { describe, expect, it } from 'vitest';
import { parseAuthenticationResults } from '../../src/channels/email/authentication-results.js';

describe('parseAuthenticationResults (RFC 8601)', () => {
  it('reads the authserv-id, results, reasons, properties and comments (RFC 8601 appendix B.6)', () => {
    const h = parseAuthenticationResults(
      'example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net',
    );
    expect(h.authservId).toBe('example.com');
    expect(h.version).toBeNull();
    expect(h.results).toEqual([
      {
        method: 'auth',
        result: 'pass',
        reason: null,
        props: { 'smtp.auth': 'sender@example.net' },
        comment: 'cram-md5',
      },
      { method: 'spf', result: 'pass', reason: null, props: { 'smtp.mailfrom': 'example.net' }, comment: '' },
    ]);
  });

  it('takes a version after the authserv-id and a method version after the method', () => {
    const h = parseAuthenticationResults('mx.example.org 1; dkim/1=pass header.d=example.com');
    expect(h.authservId).toBe('mx.example.org');
    expect(h.version).toBe(1);
    expect(h.results[0]).toMatchObject({
      method: 'dkim',
      result: 'pass',
      props: { 'header.d': 'example.com' },
    });
  });

  it('reads `none` as no results', () => {
    expect(parseAuthenticationResults('mail.partner.example; none')).toEqual({
      authservId: 'mail.partner.example',
      version: null,
      results: [],
    });
  });

  it('reads a reason, quoted strings with quoted pairs and nested comments', () => {
    const h = parseAuthenticationResults(
      'mx.example.org (outer (inner) text); dmarc=fail reason="policy \\"reject\\" (p=reject)" header.from="contoso.co.jp" (a;b)',
    );
    expect(h.authservId).toBe('mx.example.org');
    expect(h.results).toEqual([
      {
        method: 'dmarc',
        result: 'fail',
        reason: 'policy "reject" (p=reject)',
        props: { 'header.from': 'contoso.co.jp' },
        comment: 'a;b',
      },
    ]);
  });

  it('lower-cases the authserv-id, methods, results and property names, not the values', () => {
    const h = parseAuthenticationResults('MX.Partner.Example; SPF=Fail SMTP.MailFrom=Bounce@Example.COM');
    expect(h.authservId).toBe('mx.partner.example');
    expect(h.results[0]).toMatchObject({
      method: 'spf',
      result: 'fail',
      props: { 'smtp.mailfrom': 'Bounce@Example.COM' },
    });
  });

  it('keeps `=` inside a value (a DKIM signature prefix) and `@` in header.i', () => {
    const h = parseAuthenticationResults(
      'mx.google.com;\r\n       dkim=pass header.i=@contoso.co.jp header.s=s1 header.b=Ab+/c9==',
    );
    expect(h.results[0]!.props).toEqual({
      'header.i': '@contoso.co.jp',
      'header.s': 's1',
      'header.b': 'Ab+/c9==',
    });
  });

  it("reads Exchange Online's form, which has no authserv-id, as a header without one", () => {
    const h = parseAuthenticationResults(
      'spf=pass (sender IP is 203.0.113.7) smtp.mailfrom=contoso.co.jp; dkim=pass (signature was verified) header.d=contoso.co.jp;dmarc=pass action=none header.from=contoso.co.jp;compauth=pass reason=100',
    );
    expect(h.authservId).toBeNull();
    expect(h.results.map((r) => `${r.method}=${r.result}`)).toEqual([
      'spf=pass',
      'dkim=pass',
      'dmarc=pass',
      'compauth=pass',
    ]);
    expect(h.results[0]!.comment).toBe('sender IP is 203.0.113.7');
    expect(h.results[2]!.props).toEqual({ action: 'none', 'header.from': 'contoso.co.jp' });
    expect(h.results[3]!.reason).toBe('100');
  });

  it('keeps several results of one method in order', () => {
    const h = parseAuthenticationResults(
      'mx.example.org; dkim=fail header.d=a.example; dkim=pass header.d=b.example; dkim=pass header.d=c.example',
    );
    expect(h.results.map((r) => r.props['header.d'])).toEqual(['a.example', 'b.example', 'c.example']);
  });

  it('skips what does not fit the grammar and never hangs on junk', () => {
    const h = parseAuthenticationResults(
      'mx.example.org junk "q" ; = ; ) ; spf ; dkim = pass ; ((( unclosed',
    );
    expect(h.authservId).toBe('mx.example.org');
    expect(h.results).toEqual([{ method: 'dkim', result: 'pass', reason: null, props: {}, comment: '' }]);
    expect(parseAuthenticationResults('').results).toEqual([]);
    expect(parseAuthenticationResults('"unterminated').authservId).toBe('unterminated');
  });

  it('reads only the first 16 KiB of an oversized value', () => {
    const h = parseAuthenticationResults(`mx.example.org; spf=pass; ${'dkim=pass; '.repeat(10_000)}`);
    expect(h.results[0]!.method).toBe('spf');
    expect(h.results.length).toBeLessThan(1500);
  });
});
