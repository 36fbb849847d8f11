import { constants, createHash, randomBytes, verify, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

// A local stand-in for Microsoft Entra's token service, following its documented shapes: the OpenID
// configuration, client-credentials tokens at /{tenant}/oauth2/v2.0/token, and its AADSTS errors; on the same
// host, Graph's service-health issues (/v1.0/admin/serviceAnnouncement/issues) for its own tokens. Beside it,
// an RFC 7662 introspection endpoint (plain HTTP, loopback) where the local mail servers check the tokens it
// issued, as Exchange Online checks Entra's.

export type EntraMode = 'ok' | 'secret_invalid' | 'secret_expired';

export interface EntraDouble {
  /** https://127.0.0.1:<port> (MS_LOGIN_URL). */
  loginUrl: string;
  /** http://127.0.0.1:<port>/introspect */
  introspectionUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Tokens issued, oldest first. */
  issued: string[];
  /** Token requests answered (issued or refused). */
  tokenRequests(): number;
  setMode(mode: EntraMode): void;
  /** Makes every token issued so far invalid (as an expiry would): the mail servers refuse them. */
  expireAll(): void;
  /** Whether a token is one this service issued and still valid. */
  valid(token: string): boolean;
  /** https://127.0.0.1:<port>/v1.0 (GRAPH_URL). */
  graphUrl: string;
  /** While set, Graph answers 403 (the app lacks ServiceHealth.Read.All). */
  setGraphForbidden(forbidden: boolean): void;
  /** Graph requests answered 401 for a token that is not (or no longer) valid. */
  graphUnauthorized(): number;
  /** Serves more of Graph on the same host (a mailbox): the handler answers a request or returns false. */
  addGraphHandler(handler: GraphHandler): void;
  stop(): Promise<void>;
}

/** Part of the Graph double: answers the request (true) or leaves it to the next part (false). */
export type GraphHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) => boolean | Promise<boolean>;

const aadsts = {
  secret_invalid: {
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    text: 'Invalid client secret provided.',
  },
  certificate_invalid: {
    status: 401,
    error: 'invalid_client',
    code: 700027,
    text: 'Client assertion contains an invalid signature.',
  },
  secret_expired: {
    status: 401,
    error: 'invalid_client',
    code: 7000222,
    text: 'The provided client secret keys for app are expired.',
  },
} as const;

function readBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

/**
 * Checks a client assertion (RFC 7523) as Entra does for an app with a certificate credential: signed PS256
 * (or RS256) by the key of the app's certificate, named by its SHA-256 thumbprint, for this token endpoint.
 */
function assertionValid(jwt: string, appCertificate: string | undefined, clientId: string, audience: string) {
  if (!appCertificate) return false;
  const [h, p, sig] = jwt.split('.');
  if (!h || !p || !sig) return false;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, string>;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, string | number>;
  const cert = new X509Certificate(appCertificate);
  const thumbprint = createHash('sha256').update(cert.raw).digest('base64url');
  if (header['x5t#S256'] !== thumbprint || !['PS256', 'RS256'].includes(header.alg ?? '')) return false;
  const padding = header.alg === 'PS256' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
  const signed = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key: cert.publicKey, padding, saltLength: 32 },
    Buffer.from(sig, 'base64url'),
  );
  return (
    signed &&
    payload.iss === clientId &&
    payload.sub === clientId &&
    payload.aud === audience &&
    Number(payload.exp) > Date.now() / 1000
  );
}

export async function startEntraDouble(opts: {
  cert: string;
  key: string;
  user: string;
  /** The certificate (PEM) registered as the app's credential, for client assertions. */
  appCertificate?: string;
}): Promise<EntraDouble> {
  const tenantId = '11111111-2222-4333-8444-555555555555';
  const clientId = '66666666-7777-4888-9999-000000000000';
  const clientSecret = `secret-${randomBytes(8).toString('hex')}`;
  const tokens = new Map<string, { expiresAt: number; valid: boolean }>();
  const issued: string[] = [];
  let mode: EntraMode = 'ok';
  let requests = 0;
  let graphForbidden = false;
  let unauthorized = 0;
  const graphHandlers: GraphHandler[] = [];
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  let base = '';
  const entra = https.createServer({ cert: opts.cert, key: opts.key }, async (req, res) => {
    const path = new URL(req.url ?? '/', base).pathname;
    if (req.method === 'GET' && path === `/${tenantId}/v2.0/.well-known/openid-configuration`)
      return json(res, 200, {
        token_endpoint: `${base}/${tenantId}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/authorize`,
        issuer: `${base}/${tenantId}/v2.0`,
        jwks_uri: `${base}/${tenantId}/discovery/v2.0/keys`,
      });
    if (req.method === 'POST' && path === `/${tenantId}/oauth2/v2.0/token`) {
      requests++;
      const form = await readBody(req);
      const assertion = form.get('client_assertion');
      const tokenEndpoint = `${base}/${tenantId}/oauth2/v2.0/token`;
      const refusal =
        mode !== 'ok'
          ? aadsts[mode]
          : assertion
            ? assertionValid(assertion, opts.appCertificate, clientId, tokenEndpoint)
              ? null
              : aadsts.certificate_invalid
            : form.get('client_secret') !== clientSecret
              ? aadsts.secret_invalid
              : null;
      if (refusal || form.get('client_id') !== clientId || form.get('grant_type') !== 'client_credentials')
        return json(res, refusal?.status ?? 400, {
          error: refusal?.error ?? 'invalid_request',
          error_description: `AADSTS${refusal?.code ?? 900144}: ${refusal?.text ?? 'The request body must contain client_id.'}\r\nTrace ID: 0`,
          error_codes: [refusal?.code ?? 900144],
        });
      const token = `tok-${randomBytes(16).toString('hex')}`;
      tokens.set(token, { expiresAt: Date.now() + 3599_000, valid: true });
      issued.push(token);
      return json(res, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    }
    if (req.method === 'GET' && path === '/v1.0/admin/serviceAnnouncement/issues') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!valid(token)) {
        unauthorized++;
        return json(res, 401, {
          error: {
            code: 'InvalidAuthenticationToken',
            message: 'Lifetime validation failed, the token is expired.',
          },
        });
      }
      if (graphForbidden)
        return json(res, 403, {
          error: { code: 'Forbidden', message: 'Missing role permissions on the request.' },
        });
      return json(res, 200, {
        value: [
          {
            id: 'EX654321',
            title: 'Users cannot send mail from Outlook',
            service: 'Exchange Online',
            status: 'serviceDegradation',
            classification: 'incident',
            isResolved: false,
            startDateTime: '2026-12-06T22:00:00Z',
            lastModifiedDateTime: '2026-12-06T23:00:00Z',
          },
        ],
      });
    }
    if (req.method === 'GET' && path === '/v1.0/admin/serviceAnnouncement/healthOverviews') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!valid(token)) {
        unauthorized++;
        return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } });
      }
      if (graphForbidden)
        return json(res, 403, { error: { code: 'Forbidden', message: 'Missing role permissions.' } });
      return json(res, 200, {
        '@odata.context': `${base}/v1.0/$metadata#admin/serviceAnnouncement/healthOverviews`,
        value: [
          { service: 'Exchange Online', status: 'serviceDegradation', id: 'Exchange' },
          { service: 'Microsoft Teams', status: 'serviceOperational', id: 'microsoftteams' },
          { service: 'Power Automate', status: 'serviceOperational', id: 'Microsoftflow' },
        ],
      });
    }
    const url = new URL(req.url ?? '/', base);
    for (const handler of graphHandlers) if (await handler(req, res, url)) return;
    json(res, 404, { error: { code: 'ResourceNotFound', message: 'Resource not found.' } });
  });
  const valid = (token: string) => {
    const t = tokens.get(token);
    return !!t && t.valid && t.expiresAt > Date.now();
  };
  const introspection = http.createServer(async (req, res) => {
    const form = await readBody(req);
    const token = form.get('token') ?? '';
    json(res, 200, valid(token) ? { active: true, username: opts.user } : { active: false });
  });
  await new Promise<void>((r) => entra.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => introspection.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(entra.address() as AddressInfo).port}`;
  return {
    loginUrl: base,
    introspectionUrl: `http://127.0.0.1:${(introspection.address() as AddressInfo).port}/introspect`,
    tenantId,
    clientId,
    clientSecret,
    issued,
    tokenRequests: () => requests,
    setMode: (m) => {
      mode = m;
    },
    expireAll: () => {
      for (const t of tokens.values()) t.valid = false;
    },
    valid,
    graphUrl: `${base}/v1.0`,
    setGraphForbidden: (f) => {
      graphForbidden = f;
    },
    graphUnauthorized: () => unauthorized,
    addGraphHandler: (h) => {
      graphHandlers.push(h);
    },
    stop: async () => {
      entra.closeAllConnections();
      introspection.closeAllConnections();
      await Promise.all([new Promise((r) => entra.close(r)), new Promise((r) => introspection.close(r))]);
    },
  };
}
