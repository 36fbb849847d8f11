import { Duration, IANAZone } from 'luxon';
import { z } from 'zod';
import { isReadableTagFormat } from '../cases/threading.js';
import { agentRoles, caseStatuses, categories, locales, relationships, sendStatuses } from '../vocabulary.js';

// The JSON API's input shapes (camelCase, as SPEC.md shows them). Nothing from a request is trusted unparsed.

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00-24:00)');
const zone = z
  .string()
  .refine((z) => IANAZone.isValidZone(z), 'must be an IANA time zone such as Asia/Tokyo');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const isoDuration = z
  .string()
  .refine((d) => Duration.fromISO(d).isValid, 'must be an ISO 8601 duration such as PT4H or P1D');
const text = (max: number) => z.string().trim().min(1).max(max);

export const hoursSchema = z.object({
  timeZone: zone,
  always: z.boolean().default(false),
  weekly: z
    .array(z.object({ days: z.array(z.number().int().min(1).max(7)).min(1).max(7), open: hhmm, close: hhmm }))
    .max(21)
    .default([]),
  holidays: z.array(isoDate).max(1000).default([]),
  nationalHolidays: z.enum(['JP']).nullable().optional(),
});

export const planSchema = z.object({
  name: text(200),
  supportType: text(500),
  hours: hoursSchema,
  contactMethods: z
    .array(z.object({ kind: z.enum(['email', 'phone', 'chat', 'web']), value: text(500) }))
    .min(1, 'at least one contact method'),
  price: z.union([
    z.object({
      amount: z.number().nonnegative().max(1e12),
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as JPY'),
      unit: z.enum(['month', 'year', 'incident', 'hour']),
      taxIncluded: z.boolean().optional(),
    }),
    z.object({ included: z.literal(true) }),
  ]),
  responseTargets: z
    .object({ urgent: isoDuration, high: isoDuration, normal: isoDuration, low: isoDuration })
    .partial()
    .default({}),
});

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/, 'must be a domain such as contoso.co.jp');

const customerBase = z.object({
  name: text(200),
  domains: z.array(domain).max(100).default([]),
  relationship: z.enum(relationships),
  indirectProviderEmail: z.email().nullable().optional(),
  /** The language the indirect provider's desk reads; the customer's when absent. */
  indirectProviderLocale: z.enum(locales).nullable().optional(),
  tenantId: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]{1,63}\.onmicrosoft\.com)$/,
      'must be a tenant ID (GUID) or a name.onmicrosoft.com',
    )
    .nullable()
    .optional(),
  planId: z.uuid().nullable().optional(),
  locale: z.enum(locales).default('ja'),
  timeZone: zone.default('Asia/Tokyo'),
});

function indirectNeedsProvider(
  c: { relationship?: string; indirectProviderEmail?: string | null },
  ctx: z.RefinementCtx,
) {
  if (c.relationship === 'indirect' && !c.indirectProviderEmail) {
    ctx.addIssue({
      code: 'custom',
      path: ['indirectProviderEmail'],
      message: 'required for an indirect customer',
    });
  }
}

export const customerSchema = customerBase.superRefine(indirectNeedsProvider);
export const objectBody = z.record(z.string(), z.unknown());

const agentFields = {
  email: z.email().max(254),
  name: text(200),
  role: z.enum(agentRoles),
  active: z.boolean(),
  locale: z.enum(locales),
  password: z.string().min(12, 'must be at least 12 characters').max(200).optional(),
};

/** An agent as the API takes it; the password is write-only (stored as an argon2id hash). */
export const agentSchema = z.strictObject({ ...agentFields, active: agentFields.active.default(true) });
/** A PATCH: only the fields given change. */
export const agentPatchSchema = z.strictObject(agentFields).partial();

export const profileSchema = z
  .strictObject({
    name: text(200),
    defaultPlanId: z.uuid().nullable(),
    /** The From display name of mail to customers, e.g. 「パートナー株式会社 サポートデスク」. */
    deskName: z.string().trim().max(200),
    /** The case tag in subjects; `{number}` is the case number. */
    subjectTag: z.string().trim().max(60).refine(isReadableTagFormat, {
      message:
        'must hold {number} once, no other digits, and at least three other characters, such as 【受付番号:{number}】 or [Case #{number}]',
    }),
    /** The signature block templates end with (`{{ partner.signature }}`). */
    signature: z.string().max(2_000),
  })
  .partial();

export const caseListQuery = z.object({
  status: z.enum(caseStatuses).optional(),
  customer: z.uuid().optional(),
  category: z.enum(categories).optional(),
  /** `me` (the signed-in agent), `none` (unassigned) or an agent's address. */
  assignee: z.union([z.enum(['me', 'none']), z.email().toLowerCase()]).optional(),
  /** `true`: open cases past their response-due time (a case waiting on Microsoft is not overdue). */
  overdue: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().positive().optional(),
});

export const idParam = z.object({ id: z.uuid() });
export const numberParam = z.object({
  number: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

export const sendListQuery = z.object({
  status: z.enum(sendStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The id of the last send of the previous page. */
  before: z.uuid().optional(),
});
