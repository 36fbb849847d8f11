import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { isActiveStatus } from './incidents.js';
import { serviceForName } from './services.js';

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
  token?: string;
  fetchImpl?: typeof fetch;
  maxPages?: number;
}

export async function importGraphIncidents(props: GraphImportProps): Promise<ImportResult> {
  const doFetch = props.fetchImpl ?? fetch;
  let next: string | undefined = `${props.baseUrl.replace(/\/+$/, '')}/admin/serviceAnnouncement/issues`;
  const origin = new URL(next).origin;
  const result: ImportResult = { imported: 0, skipped: 0, pages: 0 };
  while (next && result.pages < (props.maxPages ?? 20)) {
    // Follow paging links only on the same host, so a bad response cannot send the token elsewhere.
    if (new URL(next).origin !== origin) throw new Error(`paging link leaves ${origin}: ${next}`);
    const res = await doFetch(next, {
      headers: {
        accept: 'application/json',
        ...(props.token ? { authorization: `Bearer ${props.token}` } : {}),
      },
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`service health returned HTTP ${res.status}`);
    const page = pageSchema.parse(await res.json());
    result.pages++;
    for (const raw of page.value) {
      const parsed = issueSchema.safeParse(raw);
      if (!parsed.success || (parsed.data.classification && parsed.data.classification !== 'incident')) {
        result.skipped++;
        continue;
      }
      const i = parsed.data;
      const values = {
        id: i.id,
        service: i.service,
        service_id: serviceForName(i.service)?.id ?? null,
        title: i.title,
        status: i.status,
        active: !i.isResolved && isActiveStatus(i.status),
        regions: [] as string[],
        started_at: i.startDateTime,
        updated_at: i.lastModifiedDateTime ?? i.startDateTime,
        link: null,
        source: 'graph',
      };
      await props.db
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
      result.imported++;
    }
    next = page['@odata.nextLink'];
  }
  return result;
}

/** Imports on a timer; a failed import is logged and retried at the next tick, never fatal. */
export class HealthPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly props: {
      db: Db;
      logger: Logger;
      baseUrl: string;
      token?: string;
      everySeconds: number;
      onImported?: () => void;
    },
  ) {}

  start(): void {
    const tick = () => {
      this.running ??= importGraphIncidents(this.props)
        .then((r) => {
          this.props.logger.info({ component: 'service-health', ...r }, 'service health imported');
          this.props.onImported?.();
        })
        .catch((err) =>
          this.props.logger.warn({ component: 'service-health', err }, 'service health import failed'),
        )
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
