import { RE2JS } from 're2js';
import { z } from 'zod';
import {
  categories,
  channels,
  handlings,
  locales,
  priorities,
  relationships,
  replyTemplates,
} from '../vocabulary.js';
import { scopes } from './scope.js';

// A rule is data an admin edits: conditions (all must hold; of `any`, at least one) and actions.
// Validated on every save; a bad rule is rejected with the path of the field at fault.

const keyword = z.string().trim().min(1, 'must not be empty').max(200);
const keywords = z.array(keyword).min(1, 'needs at least one keyword').max(500);

// Rule patterns run on customer text, so they run on RE2 (linear time, no catastrophic backtracking);
// what RE2 does not support (look-around, back-references) is rejected with its own message.
const regexSource = z
  .string()
  .min(1)
  .max(1000)
  .superRefine((source, ctx) => {
    try {
      RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `is not a usable regular expression: ${(err as Error).message}`,
      });
    }
  });

const textCondition = z
  .object({
    type: z.literal('text'),
    // `incident`: only the sentences about a service with an active incident (the one naming it, and the
    // next one when that names no other service), so a problem with something else does not count.
    field: z.enum(['subject', 'body', 'any', 'incident']).default('any'),
    anyOf: keywords.optional(),
    allOf: keywords.optional(),
    noneOf: keywords.optional(),
    regex: regexSource.optional(),
  })
  .strict()
  .refine((c) => c.anyOf || c.allOf || c.regex || c.noneOf, {
    message: 'a text condition needs anyOf, allOf, noneOf or regex',
  });

const id = z.string().trim().min(1).max(100);

export const conditionSchema = z.discriminatedUnion('type', [
  textCondition,
  z.object({ type: z.literal('channel'), anyOf: z.array(z.enum(channels)).min(1) }).strict(),
  z.object({ type: z.literal('customer'), anyOf: z.array(id).min(1) }).strict(),
  z.object({ type: z.literal('relationship'), is: z.enum(relationships) }).strict(),
  z.object({ type: z.literal('plan'), anyOf: z.array(id).min(1) }).strict(),
  z.object({ type: z.literal('locale'), is: z.enum(locales) }).strict(),
  z
    .object({ type: z.literal('service'), anyOf: z.array(id).min(1).optional() })
    .strict()
    .describe('a service is mentioned (any service when anyOf is left out)'),
  z.object({ type: z.literal('incident'), is: z.boolean() }).strict(),
  z
    .object({ type: z.literal('scope'), anyOf: z.array(z.enum(scopes)).min(1) })
    .strict()
    .describe('who the text says is affected: one, some, everyone, tenants (several), unknown'),
  z.object({ type: z.literal('businessHours'), is: z.enum(['open', 'closed']) }).strict(),
  z.object({ type: z.literal('verified'), is: z.boolean() }).strict(),
]);
export type Condition = z.infer<typeof conditionSchema>;

export const actionSchema = z
  .object({
    category: z.enum(categories).optional(),
    priority: z.enum(priorities).optional(),
    handling: z.enum(handlings).optional(),
    tags: z
      .array(
        z
          .string()
          .trim()
          .regex(/^[\p{L}\p{N}_.:-]{1,64}$/u, 'tags are 1-64 letters, digits, _ . : -'),
      )
      .max(20)
      .optional(),
    template: z.enum(replyTemplates).optional(),
    stop: z.boolean().optional(),
  })
  .strict()
  .refine((a) => Object.keys(a).length > 0, { message: 'a rule needs at least one action' });
export type RuleActions = z.infer<typeof actionSchema>;

export const ruleSchema = z
  .object({
    id: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,79}$/, 'must be 1-80 lower-case letters, digits, _ . -'),
    name: z.string().trim().min(1).max(200),
    enabled: z.boolean().default(true),
    all: z.array(conditionSchema).max(50).default([]),
    any: z.array(conditionSchema).max(50).default([]),
    actions: actionSchema,
    /** The learned opinion never overrules the category this rule sets. */
    firm: z.boolean().optional(),
  })
  .strict()
  .refine((r) => r.all.length + r.any.length > 0, {
    message: 'a rule needs at least one condition in all or any',
    path: ['all'],
  });
export type Rule = z.infer<typeof ruleSchema>;

export const ruleSetSchema = z
  .array(ruleSchema)
  .max(1000)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    });
  });
