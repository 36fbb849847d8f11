import { describe, expect, it } from 'vitest';
import {
  classifyImapFailure,
  describeImapFailure,
  imapFailureCodes,
} from '../../src/channels/email/imap-failure.js';

const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);

describe('classifyImapFailure', () => {
  it.each([
    ['a refused login (imapflow)', err({ authenticationFailed: true }), 'connect', 'login_refused'],
    ['AUTHENTICATIONFAILED', err({ serverResponseCode: 'AUTHENTICATIONFAILED' }), 'connect', 'login_refused'],
    [
      'an unknown CA',
      err({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', tlsFailed: true }),
      'connect',
      'certificate_rejected',
    ],
    [
      'a self-signed certificate',
      err({ code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      'connect',
      'certificate_rejected',
    ],
    ['an expired certificate', err({ code: 'CERT_HAS_EXPIRED' }), 'connect', 'certificate_rejected'],
    [
      'a certificate for another name',
      err({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      'connect',
      'certificate_rejected',
    ],
    [
      'no STARTTLS on offer',
      err({ tlsFailed: true }, 'Server does not support STARTTLS'),
      'connect',
      'tls_failed',
    ],
    ['a handshake that failed', err({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'connect', 'tls_failed'],
    ['connection refused', err({ code: 'ECONNREFUSED' }), 'connect', 'unreachable'],
    ['no such host', err({ code: 'ENOTFOUND' }), 'connect', 'unreachable'],
    ['no greeting', err({ code: 'GREETING_TIMEOUT' }), 'connect', 'unreachable'],
    [
      'SELECT answered NO [NONEXISTENT]',
      err({ responseStatus: 'NO', serverResponseCode: 'NONEXISTENT' }),
      'open',
      'mailbox_missing',
    ],
    ['SELECT answered NO', err({ responseStatus: 'NO' }), 'open', 'mailbox_missing'],
    [
      'NO while connecting is not a missing folder',
      err({ responseStatus: 'NO' }),
      'connect',
      'session_failed',
    ],
    ['anything else', new Error('odd'), 'connect', 'session_failed'],
    ['not even an Error', 'text', 'open', 'session_failed'],
  ] as const)('%s', (_what, e, stage, code) => {
    expect(classifyImapFailure(e, stage)).toBe(code);
  });
});

describe('describeImapFailure', () => {
  it('has plain words for every code, naming the folder when it is missing', () => {
    for (const code of imapFailureCodes)
      expect(describeImapFailure(code, 'Support').length).toBeGreaterThan(20);
    expect(describeImapFailure('mailbox_missing', 'Support')).toContain('"Support"');
    expect(describeImapFailure('certificate_rejected', 'INBOX')).toContain('NODE_EXTRA_CA_CERTS');
  });
});
