import { ConfidentialClientApplication } from '@azure/msal-node';
import type { MicrosoftSettings } from '../config.js';

// App-only tokens from Microsoft Entra by client credentials (msal-node: its cache hands out a token until
// five minutes before it expires, then fetches the next). A failure comes out named, so /readyz, the log and
// the admin say which of the usual causes it is, never the token service's own text.

/** Exchange Online's IMAP and SMTP (XOAUTH2). */
export const exchangeScope = 'https://outlook.office365.com/.default';

/** Microsoft Graph's app permissions, for the Graph of GRAPH_URL (another cloud has another host). */
export const graphScope = (graphUrl: string) => `${new URL(graphUrl).origin}/.default`;

export const entraFailureCodes = [
  'app_secret_invalid',
  'app_secret_expired',
  'app_certificate_invalid',
  'app_consent_missing',
  'app_not_found',
  'token_service_throttled',
  'token_service_unreachable',
  'token_refused',
] as const;
export type EntraFailureCode = (typeof entraFailureCodes)[number];

export class EntraTokenError extends Error {
  readonly code: EntraFailureCode;
  constructor(code: EntraFailureCode, options: { cause: unknown }) {
    super(`Microsoft Entra token: ${code}`, options);
    this.name = 'EntraTokenError';
    this.code = code;
  }
}

interface MsalErrorShape {
  errorCode?: unknown;
  errorNo?: unknown;
  errorMessage?: unknown;
  message?: unknown;
  status?: unknown;
}

/** The AADSTS number of an msal error (its `errorNo`, else the text), and what it means here. */
export function classifyEntraFailure(err: unknown): EntraFailureCode {
  const e = (typeof err === 'object' && err !== null ? err : {}) as MsalErrorShape;
  const text = `${String(e.errorMessage ?? '')} ${String(e.message ?? '')}`;
  const number = String(e.errorNo ?? '') || (/AADSTS(\d+)/.exec(text)?.[1] ?? '');
  if (number === '7000215') return 'app_secret_invalid';
  if (number === '7000222') return 'app_secret_expired';
  // The client assertion's certificate is not the app's, or its signature does not check out.
  if (number === '700027' || number === '700023' || number === '700024') return 'app_certificate_invalid';
  if (number === '65001') return 'app_consent_missing';
  if (number === '700016' || number === '90002') return 'app_not_found';
  if (e.status === 429 || /throttl|Retry-After/i.test(text)) return 'token_service_throttled';
  if (
    /endpoints_resolution_error|network|ECONN|ENOTFOUND|ETIMEDOUT|fetch failed/i.test(
      `${String(e.errorCode ?? '')} ${text}`,
    )
  )
    return 'token_service_unreachable';
  return 'token_refused';
}

export function describeEntraFailure(code: EntraFailureCode): string {
  switch (code) {
    case 'app_secret_invalid':
      return 'Microsoft Entra refused the app secret (AADSTS7000215): MS_CLIENT_SECRET must be the secret value, not its ID';
    case 'app_secret_expired':
      return 'the app secret has expired (AADSTS7000222): make a new one in Entra and set MS_CLIENT_SECRET';
    case 'app_certificate_invalid':
      return "Microsoft Entra refused the app certificate (AADSTS700027): upload MS_CLIENT_CERTIFICATE_FILE's certificate to the app, or renew it";
    case 'app_consent_missing':
      return 'the app has no admin consent for the permission (AADSTS65001): grant it in Entra';
    case 'app_not_found':
      return 'Microsoft Entra does not know this app or tenant: check MS_CLIENT_ID and MS_TENANT_ID';
    case 'token_service_throttled':
      return 'the Microsoft Entra token service is throttling requests; the intake tries again';
    case 'token_service_unreachable':
      return 'the Microsoft Entra token service cannot be reached (MS_LOGIN_URL, network or certificate)';
    case 'token_refused':
      return 'Microsoft Entra refused the token request';
  }
}

export interface AccessToken {
  token: string;
  expiresOn: Date;
}

/** Where a mailbox connection gets its tokens: `fresh` skips the cache (the server called the last one stale). */
export type TokenSource = (opts?: { fresh?: boolean }) => Promise<AccessToken>;

export class EntraTokens {
  private readonly app: ConfidentialClientApplication;

  /** `onFailure`: told each failed request's cause (counted in /metrics). */
  constructor(
    settings: MicrosoftSettings,
    private readonly onFailure: (code: EntraFailureCode) => void = () => {},
  ) {
    this.app = new ConfidentialClientApplication({
      auth: {
        clientId: settings.clientId,
        // A secret, or the certificate msal signs its client assertion with (PS256, x5t#S256).
        ...(settings.certificate
          ? {
              clientCertificate: {
                thumbprintSha256: settings.certificate.thumbprintSha256,
                privateKey: settings.certificate.privateKey,
                x5c: settings.certificate.certificatePem,
              },
            }
          : { clientSecret: settings.clientSecret }),
        authority: `${settings.loginUrl}/${settings.tenantId}`,
        // The token service is the configured host, with no instance discovery at Microsoft first.
        knownAuthorities: [new URL(settings.loginUrl).host],
      },
    });
  }

  /** A token source for one scope. */
  source(scope: string): TokenSource {
    return async (opts = {}) => {
      try {
        const r = await this.app.acquireTokenByClientCredential({ scopes: [scope], skipCache: opts.fresh });
        if (!r?.accessToken || !r.expiresOn) throw new Error('the token service answered without a token');
        return { token: r.accessToken, expiresOn: r.expiresOn };
      } catch (err) {
        const code = classifyEntraFailure(err);
        this.onFailure(code);
        throw new EntraTokenError(code, { cause: err });
      }
    };
  }
}
