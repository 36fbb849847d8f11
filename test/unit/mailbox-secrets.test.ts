import { describe, expect, it } from 'vitest';
import { tokenHostAllowed } from '../../src/admin/mailbox-routes.js';
import { openSecrets, SecretsUnreadableError, sealSecrets } from '../../src/mailboxes/mailbox-secrets.js';

const key = 'k'.repeat(40);
const binding = JSON.stringify(['id-1', 'imaps://u@imap.example/INBOX', null]);

describe('mailbox secrets', () => {
  it('opens what it sealed, with any key of a rotated list, never shows the password in the sealed text', () => {
    const sealed = sealSecrets({ imapPassword: 'pässword' }, key, binding);
    expect(sealed).not.toContain('pässword');
    expect(sealed).not.toContain(Buffer.from('pässword').toString('base64'));
    expect(openSecrets(sealed, ['new'.repeat(12), key], binding)).toEqual({ imapPassword: 'pässword' });
    expect(sealSecrets({ imapPassword: 'x' }, key, binding)).not.toBe(
      sealSecrets({ imapPassword: 'x' }, key, binding),
    );
  });

  it('refuses another key, another row or another URL (sealed passwords moved behind the API)', () => {
    const sealed = sealSecrets({ smtpPassword: 's' }, key, binding);
    expect(() => openSecrets(sealed, ['other'.repeat(8)], binding)).toThrow(SecretsUnreadableError);
    const moved = JSON.stringify(['id-1', 'imaps://u@evil.example/INBOX', null]);
    expect(() => openSecrets(sealed, [key], moved)).toThrow(SecretsUnreadableError);
    expect(() => openSecrets('v2.a.b.c', [key], binding)).toThrow(/unknown form/);
  });
});

describe('tokenHostAllowed', () => {
  const config = {
    imap: undefined,
    smtp: undefined,
    graphMailbox: undefined,
    microsoft: undefined,
    supportAddress: 's@x',
  };
  it("sends the Microsoft app's token only to Microsoft's mail servers or the environment's own", () => {
    expect(tokenHostAllowed('outlook.office365.com', config)).toBe(true);
    expect(tokenHostAllowed('smtp.office365.com', config)).toBe(true);
    expect(tokenHostAllowed('outlook.office365.us', config)).toBe(true);
    expect(tokenHostAllowed('evil.example', config)).toBe(false);
    expect(tokenHostAllowed('office365.com.evil.example', config)).toBe(false);
    const own = { ...config, imap: { auth: 'xoauth2', host: '127.0.0.1' } } as unknown as typeof config;
    expect(tokenHostAllowed('127.0.0.1', own)).toBe(true);
  });
});
