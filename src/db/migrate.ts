import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-triage.js';
import * as m0003 from './migrations/0003-chat.js';
import * as m0004 from './migrations/0004-mailbox-backlog.js';
import * as m0005 from './migrations/0005-outbox-lease.js';
import * as m0006 from './migrations/0006-mail-max-bytes.js';
import * as m0007 from './migrations/0007-sender-proof-and-reply-cap.js';
import * as m0008 from './migrations/0008-agents.js';
import * as m0009 from './migrations/0009-agent-mail.js';
import * as m0010 from './migrations/0010-template-failures.js';
import * as m0011 from './migrations/0011-session-version.js';
import * as m0012 from './migrations/0012-facts-stated.js';
import * as m0013 from './migrations/0013-support-profile.js';
import * as m0014 from './migrations/0014-graph-mailbox.js';
import * as m0015 from './migrations/0015-mailboxes.js';
import * as m0016 from './migrations/0016-service-overviews.js';
import * as m0017 from './migrations/0017-triage-learning.js';

// Migrations are listed here rather than read from disk so that the same list runs under tsx, tests and bundles.
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-triage': m0002,
  '0003-chat': m0003,
  '0004-mailbox-backlog': m0004,
  '0005-outbox-lease': m0005,
  '0006-mail-max-bytes': m0006,
  '0007-sender-proof-and-reply-cap': m0007,
  '0008-agents': m0008,
  '0009-agent-mail': m0009,
  '0010-template-failures': m0010,
  '0011-session-version': m0011,
  '0012-facts-stated': m0012,
  '0013-support-profile': m0013,
  '0014-graph-mailbox': m0014,
  '0015-mailboxes': m0015,
  '0016-service-overviews': m0016,
  '0017-triage-learning': m0017,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export class MigrationError extends Error {
  readonly code = 'migration_failed';
}

/** Applies the migrations up to and including `name` (tests of a migration over data of the one before). */
export async function migrateTo<DB>(db: Kysely<DB>, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateTo(name);
  if (error) throw new MigrationError(`migration to ${name} failed: ${String(error)}`);
}

/** Applies every migration not applied yet, whatever table types the caller's instance carries. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(
      `migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
