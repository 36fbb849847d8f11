import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import proxyAddr from '@fastify/proxy-addr';
import { z } from 'zod';

// The only reader of process.env. Every variable is optional; a bad value stops start-up with one line
// naming the variable.

const roles = ['all', 'api', 'worker', 'intake'] as const;

const url = (protocols: string[], what: string) =>
  z
    .string()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')})` },
    )
    .refine(
      (v) => {
        try {
          const u = new URL(v);
          try {
            for (const part of [u.username, u.password, u.pathname]) decodeURIComponent(part);
          } catch {
            return false;
          }
          return true;
        } catch {
          return true; // the protocol check above already reported an unparseable URL
        }
      },
      { message: 'has a bad %-escape in its user, password or path (write % as %25)' },
    );

/**
 * How a mail-server connection is secured: `implicit` TLS from the first byte (imaps, smtps), `starttls`
 * (upgrade when offered; credentials only after it), or `off` (plain text, loopback only).
 */
export type TlsMode = 'implicit' | 'starttls' | 'off';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether a URL's host is this machine: 127.0.0.0/8, ::1 (bracketed as URLs write it) or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  // Not 'localhost.': a name with the root dot goes to DNS, not to the hosts file.
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** The TLS mode a mail-server URL asks for, or the problem with its `tls` parameter. */
function tlsModeOf(u: URL, implicitProtocol: string): TlsMode | { problem: string } {
  const implicit = u.protocol === implicitProtocol;
  const tls = u.searchParams.get('tls');
  if (tls === null) return implicit ? 'implicit' : 'starttls';
  if (tls !== 'off') return { problem: 'tls may only be "off" (or left out)' };
  if (implicit) return { problem: `?tls=off cannot be used with ${implicitProtocol}// (implicit TLS)` };
  // Plain text carries the password in the clear: only where it never leaves the machine.
  if (!isLoopbackHost(u.hostname))
    return {
      problem: '?tls=off is allowed only for a server on loopback (127.0.0.0/8, ::1, localhost)',
    };
  return 'off';
}

/** A mail-server URL: its scheme, escapes and `?tls=` parameter checked. */
const mailUrl = (plain: string, implicit: string, what: string) =>
  url([plain, implicit], what).superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return; // reported by the URL check
    }
    const mode = tlsModeOf(u, implicit);
    if (typeof mode !== 'string') ctx.addIssue({ code: 'custom', message: mode.problem });
    const auth = u.searchParams.get('auth');
    if (auth !== null && auth !== 'xoauth2')
      ctx.addIssue({ code: 'custom', message: 'auth may only be "xoauth2" (or left out)' });
    if (auth === 'xoauth2' && u.password)
      ctx.addIssue({
        code: 'custom',
        message: 'with ?auth=xoauth2 the URL names the mailbox user only, no password',
      });
  });

/** A mailbox's IMAP or SMTP URL, checked as IMAP_URL and SMTP_URL are (also by the mailboxes API). */
export const imapUrlSchema = mailUrl('imap:', 'imaps:', 'IMAP');
export const smtpUrlSchema = mailUrl('smtp:', 'smtps:', 'SMTP');

/** How a mail server is logged in to: the URL's password, or an app-only Microsoft Entra token. */
export type MailAuth = 'password' | 'xoauth2';

const authOf = (u: URL): MailAuth => (u.searchParams.get('auth') === 'xoauth2' ? 'xoauth2' : 'password');

// An address as mail servers take it (`support@localhost` included, which z.email() refuses).
export const bareEmail = /^[^\s@<>"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}$/;

/** The address and the display name of `Name <address>` (or a bare address); null when it is neither. */
export function supportAddressParts(v: string): { address: string; name?: string } | null {
  const m = /^(?:"?([^"<>\u0000-\u001f]{1,200}?)"?\s*)?<([^<>\s]+)>$/.exec(v) ?? [v, undefined, v];
  const address = m[2]!.toLowerCase();
  if (address.includes('+') || !bareEmail.test(address)) return null;
  const name = m[1]?.trim();
  return name ? { address, name } : { address };
}

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'Postgres').optional(),
  REDIS_URL: url(['redis:', 'rediss:'], 'Redis').default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore')
    .default('csp'),
  IMAP_URL: imapUrlSchema.optional(),
  SMTP_URL: smtpUrlSchema.optional(),
  // `support@partner.example`, or with a display name: `パートナー株式会社 サポートデスク <support@partner.example>`.
  SUPPORT_ADDRESS: z
    .string()
    .trim()
    .refine((v) => supportAddressParts(v) !== null, {
      message: 'must be an email address, optionally with a display name: Name <support@example.test>',
    })
    .default('support@localhost'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  ADMIN_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ADMIN_EMAIL: z.email({ message: 'must be an email address' }).optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  CHAT_IDENTITY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CHAT_ALLOWED_ORIGINS: z.string().optional(),
  // A comma-separated list rotates the key: the first signs, every one is still accepted.
  SECRET_KEY: z
    .string()
    .refine((v) => v.split(',').every((k) => k.trim().length >= 32), {
      message: 'must be at least 32 characters (each key, when a comma-separated list)',
    })
    .optional(),
  AGENT_REPLY_TOKEN_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  ROLE: z.enum(roles, { message: `must be one of ${roles.join(', ')}` }).default('all'),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTO_REPLY_LIMIT_PER_HOUR: positiveInt(5),
  ATTACHMENT_MAX_BYTES: positiveInt(10 * 1024 * 1024),
  IMAP_POLL_SECONDS: positiveInt(30),
  IMAP_STALL_SECONDS: positiveInt(20),
  IMAP_FETCH_BATCH: positiveInt(100),
  WORKER_CONCURRENCY: positiveInt(16),
  MAIL_PARSE_THREADS: z.coerce.number().int().min(0).max(64).optional(),
  DRY_RUN_THREADS: z.coerce.number().int().min(0).max(64).optional(),
  SERVICE_HEALTH_URL: url(['http:', 'https:'], 'HTTP(S)').optional(),
  SERVICE_HEALTH_TOKEN: z.string().min(1).optional(),
  SERVICE_HEALTH_POLL_SECONDS: positiveInt(300),
  CHAT_TRANSCRIPT_AFTER_SECONDS: positiveInt(300),
  CHAT_MESSAGES_PER_MINUTE_PER_IP: positiveInt(120),
  CHAT_MESSAGES_PER_10S_PER_CONNECTION: positiveInt(20),
  CHAT_CONNECTIONS_PER_MINUTE_PER_IP: positiveInt(60),
  CHAT_DEMO_SIGN_IN: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  TRIAGE_LEARNED_OPINION: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  AUTHSERV_ID: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a host name (the authserv-id of your receiving mail server)')
    .optional(),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(\d{1,2}|([0-9A-Fa-f:.]+(\/\d{1,3})?|loopback|linklocal|uniquelocal)(\s*,\s*([0-9A-Fa-f:.]+(\/\d{1,3})?|loopback|linklocal|uniquelocal))*)$/,
      'must be a hop count or comma-separated addresses/CIDRs (or loopback, linklocal, uniquelocal)',
    )
    .refine(
      (v) => {
        try {
          if (!/^\d+$/.test(v)) proxyAddr.compile(v.split(',').map((x) => x.trim()));
          return true;
        } catch {
          return false;
        }
      },
      { message: 'names an address or CIDR that is not valid' },
    )
    .optional(),
  MAIL_MAX_BYTES: positiveInt(40 * 1024 * 1024),
  ATTACHMENTS_MAX_BYTES_PER_MAIL: positiveInt(25 * 1024 * 1024),
  AUTO_REPLY_LIMIT_PER_HOUR_ALL: positiveInt(500),
  CHAT_SESSION_IDLE_DAYS: positiveInt(30),
  MS_TENANT_ID: z
    .string()
    .regex(
      /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+)$/i,
      'must be the directory (tenant) ID, a GUID, or a verified domain such as contoso.onmicrosoft.com',
    )
    .optional(),
  MS_CLIENT_ID: z
    .string()
    .regex(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
      'must be the application (client) ID, a GUID',
    )
    .optional(),
  MS_CLIENT_SECRET: z.string().min(1).max(1000).optional(),
  // A certificate instead of a secret: one PEM file holding the certificate and its private key.
  MS_CLIENT_CERTIFICATE_FILE: z
    .string()
    .min(1)
    .transform((file, ctx) => {
      const read = readClientCertificate(file);
      if (typeof read === 'string') {
        ctx.addIssue({ code: 'custom', message: read });
        return z.NEVER;
      }
      return read;
    })
    .optional(),
  // The token service only answers over https (msal refuses an http authority).
  MS_LOGIN_URL: url(['https:'], 'https').default('https://login.microsoftonline.com'),
  GRAPH_URL: url(['https:'], 'https').default('https://graph.microsoft.com/v1.0'),
  GRAPH_MAILBOX: z
    .string()
    .trim()
    .toLowerCase()
    .regex(bareEmail, 'must be the mailbox address, e.g. support@partner.example')
    .optional(),
  GRAPH_POLL_SECONDS: positiveInt(5),
});

export type Role = (typeof roles)[number];

export interface ImapSettings {
  tls: TlsMode;
  host: string;
  port: number;
  user: string;
  password: string;
  auth: MailAuth;
  mailbox: string;
  /** Stable name of the mailbox for checkpoints, locks and dedupe; never contains the password. */
  key: string;
}

export interface SmtpSettings {
  tls: TlsMode;
  host: string;
  port: number;
  user?: string;
  password?: string;
  auth: MailAuth;
}

/** The Microsoft Entra app whose app-only tokens open Microsoft 365 mailboxes (`?auth=xoauth2`). */
export interface MicrosoftSettings {
  tenantId: string;
  clientId: string;
  /** The app's client secret, or: */
  clientSecret?: string;
  /** its certificate (the app's credential then never leaves this host: msal signs an assertion with it). */
  certificate?: ClientCertificate;
  /** The token service host, e.g. https://login.microsoftonline.com (no trailing slash). */
  loginUrl: string;
  graphUrl: string;
}

/** A Microsoft 365 mailbox read and sent through Graph (GRAPH_MAILBOX). */
export interface GraphMailboxSettings {
  /** The mailbox's address (lower case): `/users/{address}` in Graph. */
  address: string;
  /** Stable name of the mailbox for its sync state, lock and dedupe. */
  key: string;
  pollSeconds: number;
}

export interface Config {
  databaseUrl?: string;
  redisUrl: string;
  redisPrefix: string;
  imap?: ImapSettings;
  smtp?: SmtpSettings;
  /** Set when MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET are. */
  microsoft?: MicrosoftSettings;
  /** Set by GRAPH_MAILBOX: mail in and out through Graph instead of IMAP and SMTP. */
  graphMailbox?: GraphMailboxSettings;
  /** How often a Graph inbox is asked for new mail (GRAPH_POLL_SECONDS), for every Graph mailbox. */
  graphPollSeconds: number;
  /** The bare support address (lower case); plus-addresses of it carry agents' reply tokens. */
  supportAddress: string;
  /** The display name mail from the support address carries, when SUPPORT_ADDRESS gives one. */
  supportName?: string;
  port: number;
  host: string;
  adminApiToken?: string;
  adminEmail?: string;
  adminPassword?: string;
  chatIdentitySecret?: string;
  chatAllowedOrigins: string[];
  /** Signing keys, newest first (SECRET_KEY split at commas); stored in the database when unset. */
  secretKeys?: string[];
  /** How long the reply address of an agent notification works. */
  agentReplyTokenDays: number;
  role: Role;
  dataDir: string;
  embeddedPgPort: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  autoReplyLimitPerHour: number;
  attachmentMaxBytes: number;
  imapPollSeconds: number;
  /** A mail-server command unanswered this long means a dead connection: reconnect. */
  imapStallSeconds: number;
  imapFetchBatch: number;
  workerConcurrency: number;
  /** Threads that parse mail; 0 parses on the main thread. */
  mailParseThreads: number;
  /** Threads a rule dry run classifies on (0: the main thread). */
  dryRunThreads: number;
  /** Microsoft Graph service-health base URL (e.g. https://graph.microsoft.com/v1.0); import off when unset. */
  serviceHealthUrl?: string;
  serviceHealthToken?: string;
  serviceHealthPollSeconds: number;
  /** A chat visitor gone this long gets unread replies and the transcript by email. */
  chatTranscriptAfterSeconds: number;
  /** Whether the demo page at / signs visitors in (computes identity hashes); for demos only. */
  chatDemoSignIn: boolean;
  /** Whether triage weighs the category learned from labelled contacts and corrections against the rules. */
  triageLearnedOpinion: boolean;
  chatLimits: {
    messagesPerMinutePerIp: number;
    messagesPer10sPerConnection: number;
    connectionsPerMinutePerIp: number;
  };
  /** authserv-id whose Authentication-Results header is trusted; none trusted when unset. */
  authservId?: string;
  /** fastify trustProxy: a hop count or a list of addresses/CIDRs; false when unset. */
  trustProxy: number | string[] | false;
  /** Largest mail read whole; a larger one opens its case from its headers and first text part. */
  mailMaxBytes: number;
  /** Attachment bytes kept per mail, all attachments together. */
  attachmentsMaxBytesPerMail: number;
  /** Automatic replies to all senders together per hour (the per-sender cap is autoReplyLimitPerHour). */
  autoReplyLimitPerHourAll: number;
  /** A chat session unused this long expires. */
  chatSessionIdleDays: number;
}

export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** The mode of a URL the schema accepted. */
function acceptedTlsMode(u: URL, implicitProtocol: string): TlsMode {
  const mode = tlsModeOf(u, implicitProtocol);
  if (typeof mode !== 'string') throw new Error(mode.problem);
  return mode;
}

/** A URL writes an IPv6 host in brackets; sockets want it without. */
const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

export function parseImap(raw: string): ImapSettings {
  const u = new URL(raw);
  const tls = acceptedTlsMode(u, 'imaps:');
  const secure = tls === 'implicit';
  const mailbox = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX';
  const user = decodeURIComponent(u.username);
  const host = bareHost(u.hostname);
  const port = u.port ? Number(u.port) : secure ? 993 : 143;
  return {
    tls,
    host,
    port,
    user,
    password: decodeURIComponent(u.password),
    auth: authOf(u),
    mailbox,
    key: `${user}@${host}:${port}/${mailbox}`,
  };
}

export function parseSmtp(raw: string): SmtpSettings {
  const u = new URL(raw);
  const tls = acceptedTlsMode(u, 'smtps:');
  const secure = tls === 'implicit';
  return {
    tls,
    host: bareHost(u.hostname),
    port: u.port ? Number(u.port) : secure ? 465 : 25,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    auth: authOf(u),
  };
}

/** An Entra app's certificate credential: what msal signs its client assertion with. */
export interface ClientCertificate {
  privateKey: string;
  /** The certificate (PEM), sent as x5c so Entra can check it against the app's. */
  certificatePem: string;
  /** SHA-256 of the certificate (hex), as msal names it in the assertion (x5t#S256). */
  thumbprintSha256: string;
}

/** Reads and checks a PEM file with a certificate and its private key; a string says what is wrong. */
function readClientCertificate(file: string): ClientCertificate | string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    return `cannot read ${file}`;
  }
  const certificatePem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const privateKey =
    /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!certificatePem || !privateKey)
    return 'must be a PEM file with the certificate and its (unencrypted) private key';
  try {
    const cert = new X509Certificate(certificatePem);
    if (!cert.checkPrivateKey(createPrivateKey(privateKey)))
      return "the private key is not the certificate's";
    return {
      privateKey,
      certificatePem,
      thumbprintSha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    };
  } catch {
    return 'the certificate or the private key cannot be read';
  }
}

/** Each MS_* variable a Microsoft 365 mailbox (`?auth=xoauth2`, GRAPH_MAILBOX) needs but the environment lacks. */
function microsoftProblems(env: Record<string, string | undefined>): string[] {
  const xoauth2 = ['IMAP_URL', 'SMTP_URL'].filter((k) => /[?&]auth=xoauth2(&|$)/.test(env[k] ?? ''));
  const users = [
    ...(xoauth2.length ? [`${xoauth2.join(' and ')} use ?auth=xoauth2`] : []),
    ...(env.GRAPH_MAILBOX ? ['GRAPH_MAILBOX is set'] : []),
  ];
  if (!users.length) return [];
  const credential = env.MS_CLIENT_SECRET || env.MS_CLIENT_CERTIFICATE_FILE;
  return [
    ...['MS_TENANT_ID', 'MS_CLIENT_ID']
      .filter((k) => !env[k])
      .map((k) => `${k}: required when ${users.join(' and ')}`),
    ...(credential
      ? []
      : [`MS_CLIENT_SECRET: required (or MS_CLIENT_CERTIFICATE_FILE) when ${users.join(' and ')}`]),
  ];
}

/** GRAPH_MAILBOX reads and sends through Graph: an IMAP or SMTP URL beside it would be a second, unused way. */
function graphMailboxProblems(env: Record<string, string | undefined>): string[] {
  if (!env.GRAPH_MAILBOX) return [];
  return ['IMAP_URL', 'SMTP_URL']
    .filter((k) => env[k])
    .map(
      (k) =>
        `${k}: not used with GRAPH_MAILBOX (the mailbox is read and sent through Graph); set one or the other`,
    );
}

function parseTrustProxy(raw: string | undefined): number | string[] | false {
  if (!raw) return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Parses an environment; throws ConfigError listing each bad variable. Pure, so tests can call it. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, as they do in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // Checks across variables run on the raw values too, so one start-up reports every problem at once.
  const reported = new Set(problems.map((p) => p.split(':')[0]));
  if (cleaned.IMAP_URL && !reported.has('IMAP_URL') && !new URL(cleaned.IMAP_URL).username) {
    problems.push('IMAP_URL: must name a user (imap://user:password@host/MAILBOX)');
  }
  problems.push(...microsoftProblems(cleaned), ...graphMailboxProblems(cleaned));
  if (cleaned.MS_CLIENT_SECRET && cleaned.MS_CLIENT_CERTIFICATE_FILE)
    problems.push('MS_CLIENT_CERTIFICATE_FILE: set MS_CLIENT_SECRET or MS_CLIENT_CERTIFICATE_FILE, not both');
  if (cleaned.ADMIN_EMAIL && !cleaned.ADMIN_PASSWORD) {
    problems.push('ADMIN_PASSWORD: required when ADMIN_EMAIL is set');
  }
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const imap = e.IMAP_URL ? parseImap(e.IMAP_URL) : undefined;
  // Replies come from the Graph mailbox itself unless SUPPORT_ADDRESS names another (a Send As address).
  const support = supportAddressParts(
    cleaned.SUPPORT_ADDRESS ? e.SUPPORT_ADDRESS : (e.GRAPH_MAILBOX ?? e.SUPPORT_ADDRESS),
  )!;
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    imap,
    smtp: e.SMTP_URL ? parseSmtp(e.SMTP_URL) : undefined,
    supportAddress: support.address,
    supportName: support.name,
    port: e.PORT,
    host: e.HOST,
    adminApiToken: e.ADMIN_API_TOKEN,
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
    chatIdentitySecret: e.CHAT_IDENTITY_SECRET,
    chatAllowedOrigins: (e.CHAT_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    secretKeys: e.SECRET_KEY?.split(',').map((k) => k.trim()),
    agentReplyTokenDays: e.AGENT_REPLY_TOKEN_DAYS,
    role: e.ROLE,
    dataDir: e.DATA_DIR,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    logLevel: e.LOG_LEVEL,
    autoReplyLimitPerHour: e.AUTO_REPLY_LIMIT_PER_HOUR,
    attachmentMaxBytes: e.ATTACHMENT_MAX_BYTES,
    imapPollSeconds: e.IMAP_POLL_SECONDS,
    imapStallSeconds: e.IMAP_STALL_SECONDS,
    imapFetchBatch: e.IMAP_FETCH_BATCH,
    workerConcurrency: e.WORKER_CONCURRENCY,
    // One core stays with the main thread (and, usually, the database); at most two parse threads.
    mailParseThreads: e.MAIL_PARSE_THREADS ?? Math.max(1, Math.min(2, availableParallelism() - 1)),
    // A dry run is rare and short: it may take every core for its second (at most four).
    dryRunThreads: e.DRY_RUN_THREADS ?? Math.min(4, availableParallelism()),
    serviceHealthUrl: e.SERVICE_HEALTH_URL,
    serviceHealthToken: e.SERVICE_HEALTH_TOKEN,
    serviceHealthPollSeconds: e.SERVICE_HEALTH_POLL_SECONDS,
    chatTranscriptAfterSeconds: e.CHAT_TRANSCRIPT_AFTER_SECONDS,
    // The demo signs any address for anyone who asks: only when explicitly switched on.
    chatDemoSignIn: e.CHAT_DEMO_SIGN_IN === 'true',
    triageLearnedOpinion: e.TRIAGE_LEARNED_OPINION !== 'false',
    chatLimits: {
      messagesPerMinutePerIp: e.CHAT_MESSAGES_PER_MINUTE_PER_IP,
      messagesPer10sPerConnection: e.CHAT_MESSAGES_PER_10S_PER_CONNECTION,
      connectionsPerMinutePerIp: e.CHAT_CONNECTIONS_PER_MINUTE_PER_IP,
    },
    authservId: e.AUTHSERV_ID?.toLowerCase(),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    mailMaxBytes: e.MAIL_MAX_BYTES,
    attachmentsMaxBytesPerMail: e.ATTACHMENTS_MAX_BYTES_PER_MAIL,
    autoReplyLimitPerHourAll: e.AUTO_REPLY_LIMIT_PER_HOUR_ALL,
    chatSessionIdleDays: e.CHAT_SESSION_IDLE_DAYS,
    ...microsoftSettings(e),
  });
}

/** The Entra app (MS_*) and the Graph mailbox (GRAPH_MAILBOX), when set. */
function microsoftSettings(
  e: z.infer<typeof envSchema>,
): Pick<Config, 'microsoft' | 'graphMailbox' | 'graphPollSeconds'> {
  return {
    graphPollSeconds: e.GRAPH_POLL_SECONDS,
    microsoft:
      e.MS_TENANT_ID && e.MS_CLIENT_ID && (e.MS_CLIENT_SECRET || e.MS_CLIENT_CERTIFICATE_FILE)
        ? {
            tenantId: e.MS_TENANT_ID,
            clientId: e.MS_CLIENT_ID,
            clientSecret: e.MS_CLIENT_SECRET,
            certificate: e.MS_CLIENT_CERTIFICATE_FILE,
            loginUrl: e.MS_LOGIN_URL.replace(/\/+$/, ''),
            graphUrl: e.GRAPH_URL.replace(/\/+$/, ''),
          }
        : undefined,
    graphMailbox: e.GRAPH_MAILBOX
      ? { address: e.GRAPH_MAILBOX, key: `graph:${e.GRAPH_MAILBOX}`, pollSeconds: e.GRAPH_POLL_SECONDS }
      : undefined,
  };
}

/** Reads process.env once; the entry points call this. */
export function configFromProcess(): Config {
  return loadConfig(process.env);
}
