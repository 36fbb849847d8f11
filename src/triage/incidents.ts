import { z } from 'zod';
import type { Db } from '../db/database.js';
import { incidentStatuses } from '../vocabulary.js';
import type { ActiveIncident } from './classify.js';
import { serviceIdForName } from './services.js';

// Known service incidents (as Microsoft's service health reports them): entered by admins or imported.

export { incidentStatuses };

const endedStatuses = new Set([
  'serviceRestored',
  'postIncidentReviewPublished',
  'mitigated',
  'mitigatedExternal',
  'resolvedExternal',
  'falsePositive',
  'resolved',
]);

export function isActiveStatus(status: string): boolean {
  return !endedStatuses.has(status);
}

const isoDate = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time, e.g. 2026-11-21T11:00:00Z',
});

export const incidentSchema = z
  .object({
    id: z
      .string()
      .trim()
      .regex(/^[A-Z]{2,4}\d{3,12}$/, 'must look like EX123456 (2-4 capital letters, then digits)'),
    // Any name: a service the catalogue does not know is matched by its own name.
    service: z.string().trim().min(1).max(200),
    title: z.string().trim().min(1).max(500),
    status: z.enum(incidentStatuses, { message: `must be one of ${incidentStatuses.join(', ')}` }),
    regions: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
    startedAt: isoDate,
    updatedAt: isoDate.optional(),
    link: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .nullable()
      .optional(),
  })
  .strict();
export type IncidentInput = z.infer<typeof incidentSchema>;

export const incidentPatchSchema = incidentSchema.omit({ id: true }).partial().strict();

export interface IncidentRecord {
  id: string;
  service: string;
  serviceId: string | null;
  title: string;
  status: string;
  active: boolean;
  regions: string[];
  startedAt: Date;
  updatedAt: Date;
  link: string | null;
  source: string;
}

export function incidentRow(i: IncidentInput, source: string) {
  return {
    id: i.id,
    service: i.service,
    service_id: serviceIdForName(i.service),
    title: i.title,
    status: i.status,
    active: isActiveStatus(i.status),
    regions: i.regions,
    started_at: i.startedAt,
    updated_at: i.updatedAt ?? new Date().toISOString(),
    link: i.link ?? null,
    source,
  };
}

export async function loadActiveIncidents(db: Db): Promise<ActiveIncident[]> {
  const rows = await db
    .selectFrom('incidents')
    .select(['id', 'service', 'service_id', 'title', 'status', 'updated_at', 'link'])
    .where('active', '=', true)
    .orderBy('updated_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    serviceId: r.service_id,
    service: r.service,
    title: r.title,
    status: r.status,
    updatedAt: new Date(r.updated_at),
    link: r.link,
  }));
}
