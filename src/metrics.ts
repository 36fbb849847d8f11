import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  intake: Counter<'channel' | 'outcome'>;
  replyLatency: Histogram;
  queueDepth: Gauge<'queue' | 'state'>;
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
  };
}
