import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { QueueName } from './queue-contract.js';
import type { Queues } from './queues.js';

/**
 * Re-enqueues work that is stored but whose job was lost (a crash between commit and enqueue, a Redis
 * flush) or gave up (every attempt failed during a database or relay outage): such a job is retried.
 * Job ids are deterministic, so a job that is still waiting or running is left alone.
 */
export class RecoverySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly queues: Queues,
    private readonly logger: Logger,
    private readonly everyMs = 15_000,
    private readonly graceSeconds = 10,
    private readonly busyGraceSeconds = 300,
  ) {}

  start(): void {
    this.running = this.sweep();
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep();
    }, this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * How long stored work may wait for its job before it counts as lost. While a stage's queue still holds jobs,
   * its work may sit in a batch job that has not come to it yet: only work older than `busyGraceSeconds` is
   * taken as lost then, so that a backlog is not handed a second, competing job for each of its items.
   */
  private async graceFor(queue: QueueName): Promise<RawBuilder<Date>> {
    const counts = await this.queues.get(queue).getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const busy = Object.values(counts).some((n) => n > 0);
    const seconds = busy ? this.busyGraceSeconds : this.graceSeconds;
    return sql<Date>`now() - make_interval(secs => ${seconds})`;
  }

  async sweep(): Promise<void> {
    try {
      let grace = await this.graceFor('ingest');
      const raws = await this.db
        .selectFrom('raw_mails')
        .select('id')
        .where('state', '=', 'received')
        .where('received_at', '<', grace)
        .orderBy('id')
        .limit(1000)
        .execute();
      let revived = await this.queues.requeue(
        'ingest',
        raws.map((r) => ({ rawMailId: r.id })),
      );
      // Messages stored but never triaged.
      grace = await this.graceFor('triage');
      const untriaged = await this.db
        .selectFrom('messages')
        .select(['messages.id', 'messages.case_id'])
        .where('messages.direction', '=', 'in')
        .where('messages.created_at', '<', grace)
        .where('messages.created_at', '>', sql<Date>`now() - interval '2 days'`)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('triage_records')
                .select('id')
                .whereRef('triage_records.message_id', '=', 'messages.id'),
            ),
          ),
        )
        .limit(1000)
        .execute();
      revived += await this.queues.requeue(
        'triage',
        untriaged.map((m) => ({ caseId: m.case_id, messageId: m.id })),
      );
      // A send still held by a live lease has a running job; one whose lease lapsed lost its sender.
      grace = await this.graceFor('outbound');
      const unsent = await this.db
        .selectFrom('outbox')
        .select('id')
        .where('status', 'in', ['pending', 'sending'])
        .where('created_at', '<', grace)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
        .limit(1000)
        .execute();
      revived += await this.queues.requeue(
        'outbound',
        unsent.map((o) => ({ outboxId: o.id })),
      );
      const total = raws.length + untriaged.length + unsent.length;
      if (total)
        this.logger.info(
          { raws: raws.length, untriaged: untriaged.length, unsent: unsent.length, revived },
          'recovery sweep re-enqueued work',
        );
    } catch (err) {
      this.logger.warn({ err }, 'recovery sweep failed');
    } finally {
      this.running = null;
    }
  }
}
