import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { SmtpSettings } from '../../config.js';
import { describeEntraFailure, EntraTokenError, type TokenSource } from '../../microsoft/entra-tokens.js';
import { mailOptions, type OutgoingMail } from './outgoing-mail.js';
import { RelayOutageError, relayStates, toRelayError } from './smtp-errors.js';

/** Connections to the relay at once (many relays limit concurrent submissions per account). */
export const relayConnections = 4;

type SmtpAuth = { user: string; pass: string } | { type: 'OAuth2'; user: string; accessToken: string };

/** A relay login that failed (535 and friends): for XOAUTH2, worth one more try with a new token. */
const isLoginFailure = (err: unknown) => (err as { code?: unknown } | null)?.code === 'EAUTH';

function tokenOutage(err: unknown): RelayOutageError {
  const code = err instanceof EntraTokenError ? err.code : 'token_refused';
  return new RelayOutageError(
    relayStates.tokenFailed,
    { responseCode: null, command: null, response: null },
    `relay login impossible: ${describeEntraFailure(code)}`,
  );
}

/**
 * Pooled SMTP connection to the relay. Headers are built only from values that passed headerSafe. A relay
 * that takes XOAUTH2 (Exchange Online) gets a transport logged in with the current token, made again when
 * the token changes; a refused login is tried once more with a token fresh from the token service.
 */
export class SmtpSender {
  private transport: Transporter | null = null;
  private token: string | null = null;

  /** `support` names the support address and the display name its mail carries (SUPPORT_ADDRESS). */
  constructor(
    private readonly settings: SmtpSettings,
    private readonly support: { address: string; name?: string } = { address: '' },
    private readonly tokens?: TokenSource,
  ) {
    if (settings.auth !== 'xoauth2')
      this.transport = this.create(
        settings.user ? { user: settings.user, pass: settings.password ?? '' } : undefined,
      );
  }

  private create(auth: SmtpAuth | undefined): Transporter {
    const s = this.settings;
    return nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.tls === 'implicit',
      // smtp:// takes STARTTLS whenever the relay offers it, and insists on it before sending a credential;
      // only ?tls=off (loopback) talks plain text. Certificates are always verified (NODE_EXTRA_CA_CERTS
      // adds a private CA).
      ignoreTLS: s.tls === 'off',
      requireTLS: s.tls === 'starttls' && !!auth,
      auth,
      pool: true,
      maxConnections: relayConnections,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  /** The transport to send with; for XOAUTH2, one logged in with the current token. */
  private async ready(fresh = false): Promise<Transporter> {
    if (this.settings.auth !== 'xoauth2') return this.transport!;
    let token: string;
    try {
      if (!this.tokens) throw new Error('no Microsoft Entra app configured (MS_TENANT_ID, ...)');
      token = (await this.tokens({ fresh })).token;
    } catch (err) {
      throw tokenOutage(err);
    }
    if (!this.transport || token !== this.token) {
      this.transport?.close();
      this.transport = this.create({ type: 'OAuth2', user: this.settings.user ?? '', accessToken: token });
      this.token = token;
    }
    return this.transport;
  }

  /** Sends with the transport at hand; a refused XOAUTH2 login once more with a fresh token. */
  private async deliver(message: SendMailOptions): Promise<void> {
    try {
      await (await this.ready()).sendMail(message);
    } catch (err) {
      if (err instanceof RelayOutageError) throw err;
      if (this.settings.auth !== 'xoauth2' || !isLoginFailure(err)) throw toRelayError(err);
      try {
        await (await this.ready(true)).sendMail(message);
      } catch (again) {
        if (again instanceof RelayOutageError) throw again;
        throw toRelayError(again);
      }
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    // Typed by what it means for this send: an outage of the relay, a verdict on this mail, or a retry.
    await this.deliver(mailOptions(mail, this.support));
  }

  /** Connects and logs in without sending: tells whether the relay is usable (errors as `send` throws them). */
  async verify(): Promise<void> {
    const transport = await this.ready();
    try {
      await transport.verify();
    } catch (err) {
      throw toRelayError(err);
    }
  }

  close(): void {
    this.transport?.close();
  }
}
