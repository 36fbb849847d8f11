import { describe, expect, it } from 'vitest';
import { recycleDelayMs } from '../../src/channels/email/imap-intake.js';
import { classifyEntraFailure } from '../../src/microsoft/entra-tokens.js';

// What msal-node's errors mean (AADSTS numbers as its ServerError and InteractionRequiredAuthError carry
// them), and when a token-bound IMAP session ends itself.

describe('classifyEntraFailure', () => {
  it.each([
    [{ errorCode: 'invalid_client', errorNo: 7000215, status: 401 }, 'app_secret_invalid'],
    [{ errorCode: 'invalid_client', errorNo: '7000222', status: 401 }, 'app_secret_expired'],
    [{ errorCode: 'invalid_client', errorNo: 700027, status: 401 }, 'app_certificate_invalid'],
    [{ errorCode: 'invalid_grant', subError: 'consent_required', errorNo: 65001 }, 'app_consent_missing'],
    [{ errorMessage: 'AADSTS700016: Application with identifier was not found' }, 'app_not_found'],
    [{ errorCode: 'endpoints_resolution_error', errorMessage: 'fetch failed' }, 'token_service_unreachable'],
    [{ status: 429, errorMessage: 'Too many requests' }, 'token_service_throttled'],
    [new Error('something else'), 'token_refused'],
    [null, 'token_refused'],
  ])('%j -> %s', (err, code) => {
    expect(classifyEntraFailure(err)).toBe(code);
  });
});

describe('recycleDelayMs', () => {
  it('ends the session five minutes before the token runs out, and never within 30 seconds', () => {
    const now = Date.parse('2026-12-07T00:00:00Z');
    expect(recycleDelayMs(new Date(now + 3600_000), now)).toBe(3600_000 - 300_000 + 5_000);
    expect(recycleDelayMs(new Date(now + 200_000), now)).toBe(30_000);
  });
});
