import { describe, expect, it } from 'vitest';
import {
  classifySmtpError,
  RelayOutageError,
  RelayTemporaryError,
  SmtpPermanentError,
  toRelayError,
} from '../../src/channels/email/smtp-errors.js';
import { isTransient } from '../../src/pipeline/transient.js';

// The shapes are nodemailer's (dist/esm/smtp-connection/index.js `_formatError`): `code` names the step's
// error class, `originalCode` keeps a system error's own code, `command` the SMTP command in flight.

describe('classifySmtpError: relay trouble is an outage, a refused recipient a verdict', () => {
  it.each([
    ['AUTH refused (535)', { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, 'relay_auth_failed'],
    ['AUTH LOGIN refused', { code: 'EAUTH', responseCode: 535, command: 'AUTH LOGIN' }, 'relay_auth_failed'],
    [
      'mechanism too weak (534)',
      { code: 'EAUTH', responseCode: 534, command: 'AUTH PLAIN' },
      'relay_auth_failed',
    ],
    ['no credentials', { code: 'EAUTH', command: 'API' }, 'relay_auth_failed'],
    [
      'authentication required at MAIL FROM (530)',
      {
        code: 'EENVELOPE',
        responseCode: 530,
        command: 'MAIL FROM',
        response: '530 5.7.0 Authentication required',
      },
      'relay_auth_failed',
    ],
    [
      'STARTTLS required (530)',
      {
        code: 'EENVELOPE',
        responseCode: 530,
        command: 'MAIL FROM',
        response: '530 5.7.0 Must issue a STARTTLS command first',
      },
      'relay_tls_failed',
    ],
    [
      'encryption required for AUTH (538)',
      { code: 'EAUTH', responseCode: 538, command: 'AUTH PLAIN' },
      'relay_tls_failed',
    ],
    ['STARTTLS failed', { code: 'ETLS', command: 'STARTTLS' }, 'relay_tls_failed'],
    [
      'self-signed certificate',
      { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', command: 'CONN' },
      'relay_tls_failed',
    ],
    [
      'expired certificate',
      { code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED', command: 'CONN' },
      'relay_tls_failed',
    ],
    [
      'host name mismatch',
      { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', command: 'CONN' },
      'relay_tls_failed',
    ],
    [
      'unknown CA',
      { code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', command: 'CONN' },
      'relay_tls_failed',
    ],
    [
      'connection refused',
      { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' },
      'relay_unreachable',
    ],
    ['connection timeout', { code: 'ETIMEDOUT', command: 'CONN' }, 'relay_unreachable'],
    ['greeting never came', { code: 'ETIMEDOUT', command: 'CONN' }, 'relay_unreachable'],
    ['DNS failure', { code: 'EDNS', originalCode: 'ENOTFOUND', command: 'CONN' }, 'relay_unreachable'],
    ['connection closed', { code: 'ECONNECTION', command: 'CONN' }, 'relay_unreachable'],
    [
      'service not available (421)',
      { code: 'EENVELOPE', responseCode: 421, command: 'MAIL FROM' },
      'relay_unreachable',
    ],
    [
      'sender refused (550 to MAIL FROM)',
      { code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM' },
      'relay_sender_refused',
    ],
  ])('%s is an outage', (_what, err, state) => {
    expect(classifySmtpError(err)).toEqual({ kind: 'outage', state });
  });

  it.each([
    [
      '550 to RCPT TO',
      { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no such user' },
    ],
    ['553 to RCPT TO', { code: 'EENVELOPE', responseCode: 553, command: 'RCPT TO' }],
    ['554 to DATA', { code: 'EENVELOPE', responseCode: 554, command: 'DATA' }],
    ['550 after the message', { code: 'EMESSAGE', responseCode: 550, command: 'DATA' }],
    ['552 message too big at MAIL FROM', { code: 'EENVELOPE', responseCode: 552, command: 'MAIL FROM' }],
  ])('%s is a verdict on this mail', (_what, err) => {
    expect(classifySmtpError(err)).toEqual({ kind: 'rejected' });
  });

  it.each([
    ['450 greylisting at RCPT TO', { code: 'EENVELOPE', responseCode: 450, command: 'RCPT TO' }],
    ['451 at DATA', { code: 'EMESSAGE', responseCode: 451, command: 'DATA' }],
    ['503 bad sequence', { code: 'EENVELOPE', responseCode: 503, command: 'DATA' }],
    ['a garbled answer', { code: 'EPROTOCOL', command: 'CONN' }],
    // Trouble while this mail's content travels is about this mail, not a reason to pause every send.
    ['421 at DATA', { code: 'EMESSAGE', responseCode: 421, command: 'DATA' }],
    ['connection reset during DATA', { code: 'ECONNECTION', originalCode: 'ECONNRESET', command: 'DATA' }],
    ['timeout at RCPT TO', { code: 'ETIMEDOUT', command: 'RCPT TO' }],
  ])('%s is temporary', (_what, err) => {
    expect(classifySmtpError(err)).toEqual({ kind: 'temporary' });
  });

  it('an error that is not the relay is unknown', () => {
    expect(classifySmtpError(new TypeError('x is undefined'))).toEqual({ kind: 'unknown' });
    expect(classifySmtpError(null)).toEqual({ kind: 'unknown' });
  });

  it('toRelayError keeps the relay answer and types the error; outages and temporary answers pass', () => {
    const auth = toRelayError(
      Object.assign(new Error('Invalid login: 535 5.7.8 nope'), {
        code: 'EAUTH',
        responseCode: 535,
        command: 'AUTH PLAIN',
        response: '535 5.7.8 nope',
      }),
    );
    expect(auth).toBeInstanceOf(RelayOutageError);
    expect((auth as RelayOutageError).state).toBe('relay_auth_failed');
    expect(isTransient(auth)).toBe(true);

    const rcpt = toRelayError(
      Object.assign(new Error('Recipient command failed: 550 5.1.1 gone'), {
        code: 'EENVELOPE',
        responseCode: 550,
        command: 'RCPT TO',
        response: '550 5.1.1 gone',
      }),
    );
    expect(rcpt).toBeInstanceOf(SmtpPermanentError);
    expect((rcpt as SmtpPermanentError).answer).toEqual({
      responseCode: 550,
      command: 'RCPT TO',
      response: '550 5.1.1 gone',
    });
    expect(rcpt.message).toContain('550 5.1.1 gone');
    expect(isTransient(rcpt)).toBe(false);

    const later = toRelayError(Object.assign(new Error('try later'), { responseCode: 451, command: 'DATA' }));
    expect(later).toBeInstanceOf(RelayTemporaryError);
    expect(isTransient(later)).toBe(true);

    const bug = new TypeError('bug');
    expect(toRelayError(bug)).toBe(bug);
  });
});
