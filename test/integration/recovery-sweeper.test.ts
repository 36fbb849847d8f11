import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { payloadOf } from '../../src/pipeline/queue-contract.js';
import { Queues } from '../../src/pipeline/queues.js';
import { RecoverySweeper } from '../../src/pipeline/recovery-sweeper.js';
import { queueConnection } from '../../src/redis-connection.js';
import { createMigratedDatabase, type TestDatabase } from '../support/database.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';

// The sweeper re-enqueues stored work whose job was lost. While a stage's queue still holds jobs, its work
// may be waiting in a batch job that has not come to it yet: such work is not handed a second, competing job
// until it is older than the busy grace. With no worker running here, every job stays where it is put.

describe('recovery sweeper and a backlog of batch jobs', () => {
  const prefix = testRedisPrefix();
  const connection = queueConnection('redis://127.0.0.1:6379');
  let testDb: TestDatabase;
  let db: Db;
  let queues: Queues;

  beforeAll(async () => {
    ({ testDb, db } = await createMigratedDatabase(4));
    queues = new Queues(connection, prefix);
  });

  afterAll(async () => {
    await queues?.close();
    await cleanupRedisPrefix(prefix);
    await db?.destroy();
    await testDb?.drop();
  });

  /** A raw mail stored `ageSeconds` ago and still waiting to be ingested. */
  async function storedRaw(uid: number, ageSeconds: number): Promise<string> {
    const bytes = Buffer.from('From: a@b.example\r\n\r\nhi\r\n');
    const row = await db
      .insertInto('raw_mails')
      .values({
        mailbox_key: 'sweep@example.test',
        uid_validity: '1',
        uid: String(uid),
        bytes,
        size: bytes.length,
        received_at: sql<Date>`now() - make_interval(secs => ${ageSeconds})`,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  const stateOf = (rawId: string) => queues.get('ingest').getJobState(`raw-${rawId}`);

  it('leaves work of a busy queue to its batch, takes it once old, and takes it at once from an idle queue', async () => {
    const sweeper = new RecoverySweeper(db, queues, createLogger('silent'), 60_000, 10, 120);
    const inBatch = await storedRaw(1, 30);
    const other = await storedRaw(2, 30);
    // The batch job that holds the first mail waits in the queue.
    await queues.add('ingest', payloadOf.ingest([inBatch, other]));

    await sweeper.sweep();
    expect(await stateOf(inBatch)).toBe('unknown');
    expect(await stateOf(other)).toBe('unknown');

    // Older than the busy grace: taken as lost even while the queue is busy.
    const old = await storedRaw(3, 600);
    await sweeper.sweep();
    expect(await stateOf(old)).toBe('waiting');
    expect(await stateOf(inBatch)).toBe('unknown');

    // Once the queue is idle, work older than the short grace is taken at once.
    await queues.get('ingest').obliterate({ force: true });
    await sweeper.sweep();
    expect(await stateOf(inBatch)).toBe('waiting');
    expect(await stateOf(other)).toBe('waiting');
    const young = await storedRaw(4, 0);
    await queues.get('ingest').obliterate({ force: true });
    await sweeper.sweep();
    expect(await stateOf(young)).toBe('unknown');
  });
});
