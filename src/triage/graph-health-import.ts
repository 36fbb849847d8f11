import { sql } from 'kysely';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { HealthBoard } from '../health.js';
import type { Logger } from '../logger.js';
import {
  EntraTokenError,
  type EntraTokens,
  graphScope,
  type TokenSource,
} from '../microsoft/entra-tokens.js';
import { isActiveStatus } from './incidents.js';
import { serviceIdForName } from './services.js';

// Imports incidents from an endpoint of the Microsoft Graph service-health shape
// (GET {base}/admin/serviceAnnouncement/issues, paged by @odata.nextLink). Advisories are left out.

const issueSchema = z.looseObject({
  id: z.string().regex(/^[A-Z]{2,4}\d{3,12}$/),
  title: z.string().min(1).max(1000),
  service: z.string().min(1).max(200),
  status: z.string().min(1).max(100),
  classification: z.string().optional(),
  isResolved: z.boolean().optional(),
  startDateTime: z.iso.datetime({ offset: true }),
  lastModifiedDateTime: z.iso.datetime({ offset: true }).optional(),
});
const pageSchema = z.looseObject({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().optional(),
});

export interface ImportResult {
  imported: number;
  skipped: number;
  pages: number;
}

export interface GraphImportProps {
  db: Db;
  baseUrl: string;
  /** A static bearer token (SERVICE_HEALTH_TOKEN), or: */
  token?: string;
  /** app-only tokens by client credentials (the Entra app of MS_*), renewed as they run out. */
  tokens?: TokenSource;
  fetchImpl?: typeof fetch;
  maxPages?: number;
}

/** The service-health endpoint refused the app (403): it lacks ServiceHealth.Read.All or its consent. */
export class ServiceHealthForbiddenError extends Error {
  readonly code = 'service_health_forbidden';
}

async function bearer(props: GraphImportProps, fresh: boolean): Promise<string | undefined> {
  return props.tokens ? (await props.tokens({ fresh })).token : props.token;
}

/** A 404 for a list: the endpoint does not offer it (a feed of the issues shape without health overviews). */
class NotOfferedError extends Error {}

/**
 * The items of a Graph list, page by page (@odata.nextLink, same host only, so a bad answer cannot send the
 * token elsewhere): the app's token renewed once on a 401; a 403 is a missing permission.
 */
async function* graphPages(props: GraphImportProps, path: string): AsyncGenerator<unknown[]> {
  const doFetch = props.fetchImpl ?? fetch;
  let next: string | undefined = `${props.baseUrl.replace(/\/+$/, '')}${path}`;
  const origin = new URL(next).origin;
  let token = await bearer(props, false);
  let renewed = false;
  for (let pages = 0; next && pages < (props.maxPages ?? 20); ) {
    if (new URL(next).origin !== origin) throw new Error(`paging link leaves ${origin}: ${next}`);
    const res = await doFetch(next, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      redirect: 'error',
      signal: AbortSignal.timeout(15_000),
    });
    // An app-only token Graph calls expired is taken anew, once.
    if (res.status === 401 && props.tokens && !renewed) {
      token = await bearer(props, true);
      renewed = true;
      continue;
    }
    if (res.status === 403)
      throw new ServiceHealthForbiddenError('service health refused the app (HTTP 403)');
    if (res.status === 404) throw new NotOfferedError(`${path} is not offered`);
    if (!res.ok) throw new Error(`service health returned HTTP ${res.status}`);
    const page = pageSchema.parse(await res.json());
    pages++;
    yield page.value;
    next = page['@odata.nextLink'];
  }
}

export async function importGraphIncidents(props: GraphImportProps): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, skipped: 0, pages: 0 };
  for await (const value of graphPages(props, '/admin/serviceAnnouncement/issues')) {
    result.pages++;
    for (const raw of value) {
      const parsed = issueSchema.safeParse(raw);
      if (!parsed.success || (parsed.data.classification && parsed.data.classification !== 'incident')) {
        result.skipped++;
        continue;
      }
      await storeIncident(props.db, parsed.data);
      result.imported++;
    }
  }
  return result;
}

async function storeIncident(db: Db, i: z.infer<typeof issueSchema>): Promise<void> {
  const values = {
    id: i.id,
    service: i.service,
    service_id: serviceIdForName(i.service),
    title: i.title,
    status: i.status,
    active: !i.isResolved && isActiveStatus(i.status),
    regions: [] as string[],
    started_at: i.startDateTime,
    updated_at: i.lastModifiedDateTime ?? i.startDateTime,
    link: null,
    source: 'graph',
  };
  await db
    .insertInto('incidents')
    .values(values)
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({
          service: values.service,
          service_id: values.service_id,
          title: values.title,
          status: values.status,
          active: values.active,
          updated_at: values.updated_at,
        })
        .where(sql<boolean>`incidents.source = 'graph'`),
    )
    .execute();
}

const overviewSchema = z.looseObject({
  id: z.string().min(1).max(200),
  service: z.string().min(1).max(200),
  status: z.string().min(1).max(100),
});

/**
 * The services Microsoft 365 service health names, with their state now (`healthOverviews`), kept for the
 * admin and triage; null when the feed does not offer the list.
 */
export async function importServiceOverviews(props: GraphImportProps): Promise<number | null> {
  let stored = 0;
  try {
    for await (const value of graphPages(props, '/admin/serviceAnnouncement/healthOverviews')) {
      const rows = value.flatMap((raw) => {
        const o = overviewSchema.safeParse(raw);
        return o.success ? [{ id: o.data.id, service: o.data.service, status: o.data.status }] : [];
      });
      if (!rows.length) continue;
      await props.db
        .insertInto('service_overviews')
        .values(rows)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            service: eb.ref('excluded.service'),
            status: eb.ref('excluded.status'),
            updated_at: sql`now()`,
          })),
        )
        .execute();
      stored += rows.length;
    }
  } catch (err) {
    if (err instanceof NotOfferedError) return null;
    throw err;
  }
  return stored;
}

/** Incidents, then the list of services and their state. */
export async function importServiceHealth(
  props: GraphImportProps,
): Promise<ImportResult & { services: number | null }> {
  const result = await importGraphIncidents(props);
  return { ...result, services: await importServiceOverviews(props) };
}

/** What a failed import means: the token (named by Entra's code), the app's permission, or the endpoint. */
export function serviceHealthFailure(err: unknown): string {
  if (err instanceof EntraTokenError) return err.code;
  if (err instanceof ServiceHealthForbiddenError) return 'permission_missing';
  const e = err as { message?: unknown; cause?: { code?: unknown } } | null;
  const network = /fetch failed|ECONN|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|timeout|aborted|certificate/i;
  return network.test(`${String(e?.message ?? '')} ${String(e?.cause?.code ?? '')}`)
    ? 'unreachable'
    : 'failed';
}

/** Imports on a timer; a failed import is logged and retried at the next tick, never fatal. */
export class HealthPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly props: GraphImportProps & {
      logger: Logger;
      everySeconds: number;
      onImported?: () => void;
      /** Where the import's state is reported for /readyz (`service_health`). */
      health?: Pick<HealthBoard, 'report'>;
    },
  ) {}

  private state = '';

  /** The import's state, named; a change is one line at error level, a repeat stays quiet. */
  private report(state: string, err?: unknown): void {
    const log = this.props.logger.child({ component: 'service-health' });
    if (state !== this.state) {
      if (err) log.error({ err, state }, `service health import failed: ${state}`);
      else if (this.state) log.info('service health import works again');
    } else if (err) log.debug({ err, state }, 'service health import still failing');
    this.state = state;
    this.props.health?.report('service_health', state).catch(() => {});
  }

  start(): void {
    const tick = () => {
      this.running ??= importServiceHealth(this.props)
        .then((r) => {
          this.props.logger.info({ component: 'service-health', ...r }, 'service health imported');
          this.report('ok');
          this.props.onImported?.();
        })
        .catch((err) => this.report(serviceHealthFailure(err), err))
        .finally(() => {
          this.running = null;
        });
    };
    tick();
    this.timer = setInterval(tick, this.props.everySeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

/** Where incidents are imported from and with which token; null when from nowhere. */
export function serviceHealthSource(
  config: Pick<Config, 'serviceHealthUrl' | 'serviceHealthToken' | 'microsoft'>,
  entra: EntraTokens | undefined,
): Pick<GraphImportProps, 'baseUrl' | 'token' | 'tokens'> | null {
  if (config.serviceHealthToken || (config.serviceHealthUrl && !entra))
    return config.serviceHealthUrl
      ? { baseUrl: config.serviceHealthUrl, token: config.serviceHealthToken }
      : null;
  if (!entra || !config.microsoft) return null;
  const baseUrl = config.serviceHealthUrl ?? config.microsoft.graphUrl;
  return { baseUrl, tokens: entra.source(graphScope(baseUrl)) };
}
