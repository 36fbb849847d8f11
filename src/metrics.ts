import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  intake: Counter<'channel' | 'outcome'>;
  replyLatency: Histogram;
  queueDepth: Gauge<'queue' | 'state'>;
  /** Sends that failed for good (the relay refused this recipient), by channel. */
  sendsFailed: Counter<'channel'>;
  /** Mail kept whole in quarantine, by reason code. */
  quarantined: Counter<'code'>;
  /** Replies rendered from a fallback because the live template failed. */
  templateFallbacks: Counter<'template'>;
  /** Automatic replies held back by a cap (`sender` or `all`). */
  autoReplyCapped: Counter<'scope'>;
  /** Token requests to Microsoft Entra that failed, by named cause (`app_secret_expired`, ...). */
  entraTokenFailures: Counter<'code'>;
  /** Failed attempts to read a mailbox, by mailbox kind and named cause (`permission_missing`, ...). */
  mailboxFailures: Counter<'kind' | 'code'>;
  /** Graph answers that asked a mailbox's requests to wait (429, or 503 with Retry-After). */
  graphThrottled: Counter;
  /** Requests made to Microsoft Graph for mail (reading and sending). */
  graphRequests: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    intake: new Counter({
      name: 'csp_intake_total',
      help: 'Inbound messages by channel and outcome',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    }),
    replyLatency: new Histogram({
      name: 'csp_reply_latency_seconds',
      help: 'From message stored to its automatic reply handed to the relay',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'csp_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
    sendsFailed: new Counter({
      name: 'csp_sends_failed_total',
      help: 'Replies that failed for good (the relay refused the recipient)',
      labelNames: ['channel'],
      registers: [registry],
    }),
    quarantined: new Counter({
      name: 'csp_quarantined_total',
      help: 'Inbound mail kept whole in quarantine, by reason code',
      labelNames: ['code'],
      registers: [registry],
    }),
    entraTokenFailures: new Counter({
      name: 'csp_entra_token_failures_total',
      help: 'App-only token requests to Microsoft Entra that failed, by cause',
      labelNames: ['code'],
      registers: [registry],
    }),
    mailboxFailures: new Counter({
      name: 'csp_mailbox_failures_total',
      help: 'Failed attempts to read a mailbox, by kind (imap, graph) and named cause',
      labelNames: ['kind', 'code'],
      registers: [registry],
    }),
    graphThrottled: new Counter({
      name: 'csp_graph_throttled_total',
      help: 'Microsoft Graph answers that asked a mailbox to wait (429, or 503 with Retry-After)',
      registers: [registry],
    }),
    graphRequests: new Counter({
      name: 'csp_graph_requests_total',
      help: 'Requests made to Microsoft Graph for mail (reading and sending)',
      registers: [registry],
    }),
    templateFallbacks: new Counter({
      name: 'csp_template_fallbacks_total',
      help: 'Replies rendered from a fallback template because the live one failed',
      labelNames: ['template'],
      registers: [registry],
    }),
    autoReplyCapped: new Counter({
      name: 'csp_auto_reply_capped_total',
      help: 'Automatic replies held back by the per-sender or the overall hourly cap',
      labelNames: ['scope'],
      registers: [registry],
    }),
  };
}
