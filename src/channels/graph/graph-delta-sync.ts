import { z } from 'zod';
import type { GraphMailboxSettings } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import { type GraphClient, graphRequestsPerMailbox } from '../../microsoft/graph-client.js';
import { GraphError } from '../../microsoft/graph-errors.js';
import { payloadOf } from '../../pipeline/queue-contract.js';
import type { Queues } from '../../pipeline/queues.js';
import { maxFetchTries } from '../email/fetch-gaps.js';
import { batchByteBudget } from '../email/fetch-plan.js';
import { fetchCutGraphMail } from './graph-cut-mail.js';
import {
  type GraphMail,
  type GraphSyncState,
  readSyncState,
  type StoredRawMail,
  storedGraphMails,
  storeGraphMails,
  writeSyncState,
} from './graph-mail-store.js';

// One round of reading a Graph inbox: follow the delta query page by page (@odata.nextLink) until Graph
// hands out the @odata.deltaLink, the place the next round starts from. Each page's new mails are fetched
// as raw MIME ($value), stored and queued for ingest before the link past them is written, so a crash at
// any point reads the same page again and takes nothing twice (the store is idempotent on Graph's id).

// Mail received this long before the first read counts as backlog (clock skew between here and Exchange).
const backlogMarginMs = 10 * 60_000;
/** Mails per delta page: small enough that a page is fetched and stored in a few seconds. */
const pageSize = 50;
/** Pages read in one round at most; a large first read goes on in the next round from the stored link. */
const maxPagesPerRound = 200;

const itemSchema = z.looseObject({
  id: z.string().min(1).max(1024),
  receivedDateTime: z.string().nullish(),
  '@removed': z.unknown().optional(),
});
const pageSchema = z.looseObject({
  value: z.array(z.unknown()).max(10_000),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});

export interface DeltaSyncProps {
  db: Db;
  client: GraphClient;
  queues: Queues;
  mailbox: GraphMailboxSettings;
  mailMaxBytes: number;
  log: Logger;
  /** False once this process must stop reading (shutting down, or the mailbox's lease is lost). */
  live(): boolean;
}

export interface RoundResult {
  pages: number;
  /** Mails stored new in this round. */
  stored: number;
}

/** Ids Graph keeps when a mail moves between folders, so a mail never comes twice under two ids. */
const immutableIds = 'IdType="ImmutableId"';

export class DeltaSync {
  private readonly userPath: string;
  /** How often each mail failed to be read by itself. */
  private readonly fetchTries = new Map<string, number>();

  constructor(private readonly props: DeltaSyncProps) {
    this.userPath = `/users/${encodeURIComponent(props.mailbox.address)}`;
  }

  /** Reads every change since the last round; resyncs from the start when Graph lost the delta link. */
  async round(): Promise<RoundResult> {
    const result: RoundResult = { pages: 0, stored: 0 };
    let state = await this.startingState();
    let resynced = false;
    // A round reads a bounded number of pages; the next round goes on from the link stored.
    while (this.props.live() && result.pages < maxPagesPerRound) {
      let page: z.infer<typeof pageSchema>;
      try {
        page = pageSchema.parse(await this.props.client.json(state.link ?? this.firstLink(), this.request()));
      } catch (err) {
        // Lost once: read again from the start; lost again at once: Graph is not well, the round fails.
        if (!(err instanceof GraphError && err.code === 'sync_state_lost') || resynced) throw err;
        state = await this.resync(state);
        resynced = true;
        continue;
      }
      result.pages++;
      result.stored += await this.takePage(page.value, state);
      const next = page['@odata.nextLink'];
      const done = !next;
      const link = next ?? page['@odata.deltaLink'] ?? null;
      if (!link) throw new GraphError('graph_failed', { status: 200, message: 'delta page without a link' });
      if (next && next === state.link)
        throw new GraphError('graph_failed', { status: 200, message: 'a delta page links to itself' });
      // Only now, with the page's mails stored and queued, may the place move past them.
      const after = { link, initial: state.initial && !done, backlogBefore: state.backlogBefore };
      if (after.link !== state.link || after.initial !== state.initial)
        await writeSyncState(this.props.db, this.props.mailbox.key, after);
      state = { ...after, updatedAt: new Date() };
      if (done) break;
    }
    return result;
  }

  private firstLink(): string {
    // Only new mail matters: `changeType=created` leaves out read flags and moves within the inbox.
    return `${this.userPath}/mailFolders/inbox/messages/delta?changeType=created&$select=id,receivedDateTime`;
  }

  private request() {
    return {
      headers: { prefer: `odata.maxpagesize=${pageSize}, ${immutableIds}`, accept: 'application/json' },
    };
  }

  /** The stored place, or the very first one: from the start, with what is there already as backlog. */
  private async startingState(): Promise<GraphSyncState> {
    const stored = await readSyncState(this.props.db, this.props.mailbox.key);
    if (stored) return stored;
    const first = { link: null, initial: true, backlogBefore: new Date(Date.now() - backlogMarginMs) };
    await writeSyncState(this.props.db, this.props.mailbox.key, first);
    return { ...first, updatedAt: new Date() };
  }

  /**
   * Graph no longer knows the delta link (410 SyncStateNotFound): read the inbox again from the start. What
   * is stored already is skipped; what was there before the last round that stored mail is backlog.
   */
  private async resync(was: GraphSyncState): Promise<GraphSyncState> {
    this.props.log.warn(
      'Graph lost the delta link (SyncStateNotFound): reading the inbox again from the start',
    );
    // Lost during the first read: its line stays; else mail older than the last stored place is backlog.
    const backlogBefore = was.initial
      ? was.backlogBefore
      : new Date(Math.min(was.updatedAt.getTime(), Date.now()) - backlogMarginMs);
    const next = { link: null, initial: true, backlogBefore };
    await writeSyncState(this.props.db, this.props.mailbox.key, next);
    return { ...next, updatedAt: new Date() };
  }

  /** Fetches, stores and queues the page's mails not stored yet; returns how many were stored new. */
  private async takePage(value: unknown[], state: GraphSyncState): Promise<number> {
    const parsed = value.map((v) => itemSchema.safeParse(v));
    const unreadable = parsed.filter((r) => !r.success).length;
    if (unreadable) this.props.log.warn({ unreadable }, 'delta page items without a usable id; left out');
    const items = parsed.filter((r) => r.success && r.data['@removed'] === undefined).map((r) => r.data!);
    if (!items.length) return 0;
    const { db, mailbox } = this.props;
    const known = await storedGraphMails(
      db,
      mailbox.key,
      items.map((i) => i.id),
    );
    // Stored but perhaps never queued (a crash between the two): queued again; ingest takes each once.
    await this.enqueue(known);
    const knownIds = new Set(known.map((k) => k.remoteId));
    const missing = items.filter((i) => !knownIds.has(i.id));
    const stored = await this.fetchAndStore(missing, state);
    if (!this.props.live()) throw new Error('intake stopped in the middle of a page');
    return stored;
  }

  /**
   * Fetches mails four at a time (the client's limit per mailbox) as a sliding window, and stores them in
   * batches bounded by bytes: at most the budget plus four mails are held at once.
   */
  private async fetchAndStore(
    missing: Array<z.infer<typeof itemSchema>>,
    state: GraphSyncState,
  ): Promise<number> {
    const budget = batchByteBudget(this.props.mailMaxBytes);
    let next = 0;
    let stored = 0;
    let batch: GraphMail[] = [];
    let bytes = 0;
    const flush = async () => {
      const taken = batch;
      batch = [];
      bytes = 0;
      stored += await this.store(taken);
    };
    let broken = false;
    const worker = async () => {
      while (next < missing.length && this.props.live() && !broken) {
        const mail = await this.fetchMail(missing[next++]!, state).catch((err) => {
          broken = true;
          throw err;
        });
        if (!mail) continue;
        batch.push(mail);
        bytes += mail.source.length;
        if (bytes >= budget) await flush();
      }
    };
    const ended = await Promise.allSettled(Array.from({ length: graphRequestsPerMailbox }, worker));
    // What was fetched before a failure is kept; the page is read again from its link next time.
    await flush();
    const failed = ended.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return stored;
  }

  private async store(batch: GraphMail[]): Promise<number> {
    if (!batch.length) return 0;
    const rows = await storeGraphMails(this.props.db, this.props.mailbox.key, batch);
    await this.enqueue(rows);
    return rows.filter((r) => r.state === 'received').length;
  }

  private async enqueue(rows: StoredRawMail[]): Promise<void> {
    const received = rows.filter((r) => r.state === 'received').map((r) => r.id);
    // One job for the batch: it is parsed, stored and triaged together.
    if (received.length) await this.props.queues.add('ingest', payloadOf.ingest(received));
  }

  /** One mail as raw MIME; a mail over MAIL_MAX_BYTES in its cut form; null when it is gone meanwhile. */
  private async fetchMail(
    item: z.infer<typeof itemSchema>,
    state: GraphSyncState,
  ): Promise<GraphMail | null> {
    const path = `${this.userPath}/messages/${encodeURIComponent(item.id)}`;
    const headers = { prefer: immutableIds };
    const received = item.receivedDateTime ? Date.parse(item.receivedDateTime) : Number.NaN;
    // In doubt (no usable date) a mail met in the first read is backlog: no belated acknowledgement.
    const backlog =
      state.initial &&
      (Number.isNaN(received) || state.backlogBefore === null || received < state.backlogBefore.getTime());
    const { mailMaxBytes } = this.props;
    try {
      const body = await this.props.client.bytes(`${path}/$value`, mailMaxBytes, {
        headers,
        // A large mail on a slow link (50 KB/s) may take minutes.
        timeoutMs: 30_000 + mailMaxBytes / 50,
      });
      if (body.whole) return { remoteId: item.id, source: body.bytes, backlog };
      this.props.log.warn({ size: body.size }, 'mail larger than MAIL_MAX_BYTES: headers and text read');
      return {
        remoteId: item.id,
        backlog,
        ...(await fetchCutGraphMail(this.props.client, path, body.size, headers)),
      };
    } catch (err) {
      return this.afterFailedFetch(item.id, err);
    }
  }

  /**
   * A mail that could not be read: gone (deleted or moved out of the inbox meanwhile) is nothing to take; one
   * that fails by itself is tried again in the next rounds and then skipped, so one broken item cannot hold
   * up the mail behind it for ever. Failures of the mailbox as a whole (token, permission, throttling, the
   * network) are the round's and never count against a mail.
   */
  private afterFailedFetch(remoteId: string, err: unknown): null {
    if (err instanceof GraphError && err.graphCode === 'ErrorItemNotFound') {
      this.props.log.warn({ remoteId }, 'a mail left the inbox before it was read; skipped');
      return null;
    }
    const mailboxWide =
      !(err instanceof GraphError) || !['request_refused', 'too_large', 'graph_failed'].includes(err.code);
    if (mailboxWide && !(err instanceof z.ZodError)) throw err;
    const tries = (this.fetchTries.get(remoteId) ?? 0) + 1;
    this.fetchTries.set(remoteId, tries);
    if (tries < maxFetchTries) throw err;
    this.fetchTries.delete(remoteId);
    this.props.log.error(
      { remoteId, err },
      `mail Graph would not hand over after ${maxFetchTries} tries was skipped; it is still in the mailbox`,
    );
    return null;
  }
}
