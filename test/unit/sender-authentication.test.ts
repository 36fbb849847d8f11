import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { normaliseMail } from '../../src/channels/email/normalise-mail.js';
import {
  aligned,
  judgeSender,
  organisationalDomain,
  senderPassed,
} from '../../src/channels/email/sender-authentication.js';

const ours = 'mail.partner.example';

describe('judgeSender', () => {
  it('believes nothing without AUTHSERV_ID: the sender counts as proven, as before', () => {
    expect(
      judgeSender([`${ours}; dmarc=fail header.from=contoso.co.jp`], undefined, 'a@contoso.co.jp'),
    ).toEqual({ status: 'unchecked' });
  });

  it('changes nothing when no header carries our authserv-id', () => {
    expect(judgeSender([], ours, 'a@contoso.co.jp')).toEqual({ status: 'unchecked' });
    expect(
      judgeSender(['mx.elsewhere.example; dmarc=fail header.from=contoso.co.jp'], ours, 'a@contoso.co.jp'),
    ).toEqual({ status: 'unchecked' });
  });

  it('dmarc=fail makes the sender unproven and says why', () => {
    expect(
      judgeSender(
        [`${ours}; dmarc=fail (p=reject dis=none) header.from=contoso.co.jp`],
        ours,
        'it@contoso.co.jp',
      ),
    ).toEqual({
      status: 'unproven',
      authservId: ours,
      reason: 'dmarc=fail (header.from=contoso.co.jp) as reported by mail.partner.example',
    });
  });

  it('matches the authserv-id without regard to case', () => {
    expect(
      judgeSender(
        ['Mail.Partner.Example; dmarc=fail header.from=x.example'],
        'MAIL.partner.example',
        'a@x.example',
      ).status,
    ).toBe('unproven');
  });

  it('spf=fail without any DKIM pass is unproven', () => {
    const v = judgeSender(
      [`${ours}; spf=fail smtp.mailfrom=it@contoso.co.jp; dkim=none`],
      ours,
      'it@contoso.co.jp',
    );
    expect(v).toEqual({
      status: 'unproven',
      authservId: ours,
      reason:
        'spf=fail (smtp.mailfrom=it@contoso.co.jp) and no dkim=pass aligned with contoso.co.jp as reported by mail.partner.example',
    });
  });

  it('spf=fail with a DKIM pass of the From domain, a subdomain or its parent is proven (relaxed alignment)', () => {
    for (const d of [
      'header.d=contoso.co.jp',
      'header.d=mail.contoso.co.jp',
      'header.i=@news.contoso.co.jp',
    ]) {
      expect(judgeSender([`${ours}; spf=fail; dkim=pass ${d}`], ours, 'a@contoso.co.jp').status, d).toBe(
        'proven',
      );
    }
    expect(
      judgeSender([`${ours}; spf=fail; dkim=pass header.d=contoso.co.jp`], ours, 'a@jp.contoso.co.jp').status,
    ).toBe('proven');
  });

  it('spf=fail with a DKIM pass of another domain, or a failed aligned one, is unproven', () => {
    for (const dkim of [
      'dkim=pass header.d=esp.example',
      'dkim=pass header.d=co.jp',
      'dkim=fail header.d=contoso.co.jp',
      'dkim=pass header.d=contoso.co.jp.evil.example',
    ]) {
      expect(judgeSender([`${ours}; spf=fail; ${dkim}`], ours, 'a@contoso.co.jp').status, dkim).toBe(
        'unproven',
      );
    }
  });

  it('spf softfail, neutral or none and dkim alone do not make a sender unproven', () => {
    for (const r of [
      'spf=softfail',
      'spf=neutral',
      'spf=none; dkim=none',
      'dkim=fail header.d=contoso.co.jp',
      'none',
    ]) {
      expect(judgeSender([`${ours}; ${r}`], ours, 'a@contoso.co.jp').status, r).toBe('proven');
    }
  });

  it('reads only the top-most header of our authserv-id', () => {
    const real = `${ours}; dmarc=pass header.from=contoso.co.jp`;
    const forged = `${ours}; dmarc=fail header.from=contoso.co.jp`;
    expect(judgeSender([real, forged], ours, 'a@contoso.co.jp').status).toBe('proven');
    expect(judgeSender([forged, real], ours, 'a@contoso.co.jp').status).toBe('unproven');
  });
});

describe('organisational domains (Public Suffix List, private suffixes included)', () => {
  it('finds the registrable domain', () => {
    expect(organisationalDomain('mail.contoso.co.jp')).toBe('contoso.co.jp');
    expect(organisationalDomain('Contoso.CO.JP.')).toBe('contoso.co.jp');
    expect(organisationalDomain('a.b.partner.example')).toBe('partner.example');
    expect(organisationalDomain('tenant-a.blogspot.com')).toBe('tenant-a.blogspot.com');
    expect(organisationalDomain('localhost')).toBe('localhost');
  });

  it('never aligns two customers under one public suffix', () => {
    expect(aligned('fabrikam.co.jp', 'contoso.co.jp')).toBe(false);
    expect(aligned('tenant-b.blogspot.com', 'tenant-a.blogspot.com')).toBe(false);
    expect(aligned('', 'contoso.co.jp')).toBe(false);
    expect(aligned('news.contoso.co.jp', 'contoso.co.jp')).toBe(true);
  });
});

interface Expected {
  file: string;
  description: string;
  authservId: string;
  from: string;
  authenticationResults: number;
  verdict: 'proven' | 'unproven' | 'unchecked';
  reason: string | null;
}

const dir = new URL('../fixtures/mail-auth/', import.meta.url);
const expected = JSON.parse(await readFile(new URL('expected.json', dir), 'utf8')) as Expected[];
const options = { supportAddress: 'support@partner.example', attachmentMaxBytes: 5 * 1024 * 1024 };

describe('sender authentication: real receiving servers (.eml fixtures)', () => {
  for (const e of expected) {
    it(`${e.file}: ${e.description.slice(0, 90)}`, async () => {
      const mail = await normaliseMail(await readFile(new URL(e.file, dir)), options);
      expect(mail.from?.address).toBe(e.from);
      expect(mail.authenticationResults).toHaveLength(e.authenticationResults);
      for (const value of mail.authenticationResults) expect(value).not.toMatch(/[\r\n]/);
      const verdict = judgeSender(mail.authenticationResults, e.authservId, e.from);
      expect(verdict.status).toBe(e.verdict);
      expect(verdict.status === 'unproven' ? verdict.reason : null).toBe(e.reason);
    });
  }
});

describe('senderPassed: what an agent reply needs', () => {
  const ar = (results: string) => [`mail.partner.example; ${results}`];
  const from = 'kato@partner.example';
  it('passes on dmarc=pass, or dkim or spf passing for the From domain', () => {
    expect(senderPassed(ar('dmarc=pass header.from=partner.example'), 'mail.partner.example', from)).toBe(
      true,
    );
    expect(senderPassed(ar('dkim=pass header.d=mail.partner.example'), 'mail.partner.example', from)).toBe(
      true,
    );
    expect(
      senderPassed(ar('spf=pass smtp.mailfrom=bounce@partner.example'), 'mail.partner.example', from),
    ).toBe(true);
  });
  it('does not pass on nothing, on an unaligned pass, on another server or without an authserv-id', () => {
    expect(senderPassed(ar('dmarc=none; spf=none'), 'mail.partner.example', from)).toBe(false);
    expect(senderPassed(ar('spf=pass smtp.mailfrom=x@evil.example'), 'mail.partner.example', from)).toBe(
      false,
    );
    expect(senderPassed(ar('dkim=pass header.d=evil.example'), 'mail.partner.example', from)).toBe(false);
    expect(senderPassed(['other.example; dmarc=pass'], 'mail.partner.example', from)).toBe(false);
    expect(senderPassed([], 'mail.partner.example', from)).toBe(false);
    expect(senderPassed(ar('dmarc=pass'), undefined, from)).toBe(false);
  });
});
