import { type ConnectionOptions, Worker } from 'bullmq';
import { ingestStage } from './ingest.stage.js';
import { outboundStage } from './outbound.stage.js';
import { type QueueName, queueNames, type SomeStageWorker, type StageWorker } from './queue-contract.js';
import type { StageDeps, StageHandler } from './stage-deps.js';
import { triageStage } from './triage.stage.js';

// The worker wiring: one BullMQ worker per queue, each running that queue's stage handler.

export interface StageWorkersProps {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
}

/** One BullMQ worker per queue. Every queue must have a handler; the type map and this check make sure. */
export function startStageWorkers(deps: StageDeps, props: StageWorkersProps): SomeStageWorker[] {
  const table: { [Q in QueueName]: StageHandler<Q> } = {
    ingest: ingestStage(deps),
    triage: triageStage(deps),
    outbound: outboundStage(deps),
  };
  const workers = [
    startWorker('ingest', table.ingest, deps, props),
    startWorker('triage', table.triage, deps, props),
    startWorker('outbound', table.outbound, deps, props),
  ];
  const missing = Object.values(queueNames).filter((q) => !workers.some((w) => w.name === q));
  if (missing.length) throw new Error(`no handler for queue ${missing.join(', ')}`);
  return workers;
}

function startWorker<Q extends QueueName>(
  name: Q,
  handler: StageHandler<Q>,
  deps: StageDeps,
  props: StageWorkersProps,
): StageWorker<Q> {
  const worker: StageWorker<Q> = new Worker(
    name,
    async (job, token) => {
      const log = deps.logger.child({ component: `${name}-worker`, jobId: job.id });
      return handler(job.data, job, log, token);
    },
    {
      connection: props.connection,
      prefix: props.prefix,
      concurrency: props.concurrency,
      // A killed process's jobs come back within seconds, not the default half minute.
      lockDuration: 10_000,
      stalledInterval: 5_000,
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) => {
    deps.logger.warn(
      { component: `${name}-worker`, jobId: job?.id, err: { message: err.message } },
      'job failed',
    );
  });
  worker.on('error', (err) => {
    // A Redis outage is logged once, where the process watches its connections.
    if (deps.redisOutage) deps.redisOutage.reportQueueError(`${name}-worker`, err);
    else deps.logger.error({ component: `${name}-worker`, err }, 'worker error');
  });
  return worker;
}
