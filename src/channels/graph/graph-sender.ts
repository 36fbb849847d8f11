import MailComposer from 'nodemailer/lib/mail-composer';
import { describeEntraFailure, EntraTokenError } from '../../microsoft/entra-tokens.js';
import type { GraphClient } from '../../microsoft/graph-client.js';
import { describeGraphFailure, GraphError } from '../../microsoft/graph-errors.js';
import { mailOptions, type OutgoingMail, type SupportIdentity } from '../email/outgoing-mail.js';
import {
  type RelayAnswer,
  RelayOutageError,
  type RelayOutageState,
  RelayTemporaryError,
  relayStates,
  SmtpPermanentError,
} from '../email/smtp-errors.js';

// Replies through Microsoft Graph: the mail is composed here exactly as for SMTP (our Message-ID,
// In-Reply-To and References included) and handed to /users/{mailbox}/sendMail as base64 MIME, which Exchange
// sends as it is and keeps in Sent Items. What Graph answers is typed as the relay's answers are: an outage
// of the mailbox (token, permission, throttling), a verdict on this mail, or "try again later".

function answerOf(err: GraphError): RelayAnswer {
  return { responseCode: err.status, command: 'sendMail', response: err.message.slice(0, 500) };
}

// Graph's codes for a refusal of this one mail.
const verdictCodes =
  /^(ErrorInvalidRecipients|ErrorMimeContent\w*|ErrorMessageSizeExceeded|ErrorInvalidRequest)$/;

const outageStates: Partial<Record<GraphError['code'], RelayOutageState>> = {
  token_refused: relayStates.tokenFailed,
  permission_missing: relayStates.permissionMissing,
  mailbox_not_found: relayStates.mailboxMissing,
  throttled: relayStates.throttled,
  unreachable: relayStates.unreachable,
};

/** What a failed sendMail means for this send. */
export function graphSendFailure(err: unknown): Error {
  const none = { responseCode: null, command: null, response: null };
  if (err instanceof EntraTokenError)
    return new RelayOutageError(
      relayStates.tokenFailed,
      none,
      `sending impossible: ${describeEntraFailure(err.code)}`,
    );
  if (!(err instanceof GraphError)) return new RelayTemporaryError(none, `sendMail failed: ${String(err)}`);
  const outage = outageStates[err.code];
  if (outage)
    return new RelayOutageError(
      outage,
      answerOf(err),
      `sending impossible: ${describeGraphFailure(err.code)} (${err.message})`,
    );
  // Graph refused this mail itself (bad MIME or recipients, too large): the same mail would be refused again.
  if (
    err.code === 'too_large' ||
    (err.code === 'request_refused' && err.graphCode && verdictCodes.test(err.graphCode))
  )
    return new SmtpPermanentError(answerOf(err), `${describeGraphFailure(err.code)}: ${err.message}`);
  // Any other answer (a 409, a 404 without a code, a 5xx) may be gone on the next try.
  return new RelayTemporaryError(answerOf(err), err.message);
}

export class GraphSender {
  private readonly path: string;

  constructor(
    private readonly client: GraphClient,
    mailbox: string,
    private readonly support: SupportIdentity,
  ) {
    this.path = `/users/${encodeURIComponent(mailbox)}/sendMail`;
  }

  async send(mail: OutgoingMail): Promise<void> {
    const mime = await new MailComposer(mailOptions(mail, this.support)).compile().build();
    try {
      await this.client.call(this.path, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: mime.toString('base64'),
        timeoutMs: 60_000 + mime.length / 50,
      });
    } catch (err) {
      throw graphSendFailure(err);
    }
  }

  close(): void {}
}
