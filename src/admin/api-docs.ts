import type { z } from 'zod';
import { incidentPatchSchema, incidentSchema } from '../triage/incidents.js';
import { ruleSchema } from '../triage/rule-schema.js';
import { agentMailQuery } from './agent-mail-routes.js';
import { auditQuery } from './audit-routes.js';
import { caseCommands, replyBody } from './case-command-routes.js';
import { incidentListQuery } from './incident-routes.js';
import { mailboxCreateSchema, mailboxPatchSchema } from './mailbox-routes.js';
import { dryRunBody, positionQuery, ruleSetBody } from './rule-routes.js';
import {
  agentPatchSchema,
  agentSchema,
  caseListQuery,
  customerSchema,
  planSchema,
  profileSchema,
  sendListQuery,
} from './schemas.js';
import { previewBody, rollbackBody, saveBody, templateQuery } from './template-routes.js';
import { trailPeriod } from './trail-routes.js';

// What each API route does and the zod schemas it checks its input with: the OpenAPI document is made from
// this and the routes the server registered (a route missing here fails a test, so none goes undocumented).

export interface RouteDoc {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Agents may call it too; everything else is for admins. */
  agents?: boolean;
}

export const routeDocs: Record<string, RouteDoc> = {
  'GET /api/cases': { summary: 'List cases, newest first', query: caseListQuery, agents: true },
  'GET /api/cases/:number': {
    summary: 'One case with its messages, triage record and sends',
    agents: true,
  },
  'PATCH /api/cases/:number': {
    summary:
      'Set status, priority, category, assignee or hand the case over (a category or handling change is kept as a correction)',
    body: caseCommands,
    agents: true,
  },
  'POST /api/cases/:number/replies': {
    summary: "Answer the customer on the case's channel (commands such as #note may start the text)",
    body: replyBody,
    agents: true,
  },
  'GET /api/cases/:number/trail': { summary: "One case's compliance trail (JSON, or CSV with ?format=csv)" },
  'GET /api/trail': {
    summary: 'The compliance trail of the cases created in [from, to)',
    query: trailPeriod,
  },
  'GET /api/plans': { summary: 'List support plans' },
  'GET /api/plans/:id': { summary: 'One support plan' },
  'GET /api/plans/:id/due-samples': { summary: 'Due times the plan gives for telling arrival times' },
  'POST /api/plans': { summary: 'Create a support plan', body: planSchema },
  'PUT /api/plans/:id': { summary: 'Replace a support plan', body: planSchema },
  'PATCH /api/plans/:id': { summary: 'Change some fields of a support plan', body: planSchema.partial() },
  'DELETE /api/plans/:id': { summary: 'Delete a support plan no customer uses' },
  'GET /api/profile': { summary: 'The support profile' },
  'PUT /api/profile': { summary: 'Change the support profile', body: profileSchema },
  'GET /api/customers': { summary: 'List customers' },
  'GET /api/customers/:id': { summary: 'One customer' },
  'POST /api/customers': { summary: 'Create a customer', body: customerSchema },
  'PUT /api/customers/:id': { summary: 'Replace a customer', body: customerSchema },
  'PATCH /api/customers/:id': { summary: 'Change some fields of a customer' },
  'DELETE /api/customers/:id': { summary: 'Delete a customer' },
  'GET /api/agents': { summary: 'List agents' },
  'GET /api/agents/:id': { summary: 'One agent' },
  'POST /api/agents': { summary: 'Create an agent (password write-only)', body: agentSchema },
  'PUT /api/agents/:id': { summary: 'Replace an agent', body: agentSchema },
  'PATCH /api/agents/:id': { summary: 'Change some fields of an agent', body: agentPatchSchema },
  'DELETE /api/agents/:id': { summary: 'Delete an agent' },
  'GET /api/agent-mail/rejected': {
    summary: 'Mail that answered a notification but was not delivered, with the reason',
    query: agentMailQuery,
  },
  'GET /api/mailboxes': {
    summary: "Every mailbox read and answered through: the environment's and those added, with their state",
  },
  'GET /api/mailboxes/:id': { summary: 'One added mailbox (passwords never shown)' },
  'POST /api/mailboxes': {
    summary: 'Add a mailbox (passwords in its URLs, write-only, sealed with SECRET_KEY)',
    body: mailboxCreateSchema,
  },
  'PATCH /api/mailboxes/:id': {
    summary: 'Change a mailbox (a URL without password keeps the stored one for the same login)',
    body: mailboxPatchSchema,
  },
  'DELETE /api/mailboxes/:id': { summary: 'Delete a mailbox: its intake stops; its cases stay' },
  'GET /api/incidents': { summary: 'List known service incidents', query: incidentListQuery },
  'GET /api/incidents/:id': { summary: 'One known incident' },
  'POST /api/incidents': { summary: 'Enter a known incident', body: incidentSchema },
  'PUT /api/incidents/:id': { summary: 'Replace a known incident', body: incidentSchema.omit({ id: true }) },
  'PATCH /api/incidents/:id': { summary: 'Change a known incident', body: incidentPatchSchema },
  'DELETE /api/incidents/:id': { summary: 'Delete a known incident' },
  'POST /api/incidents/import': {
    summary: 'Import incidents and the list of services (healthOverviews) from Microsoft 365 service health',
  },
  'GET /api/services': { summary: 'The services Microsoft 365 service health names, each with its state' },
  'GET /api/service-catalogue': {
    summary: 'Every service triage knows (en/ja names, aliases, aliases added by admins, health state)',
  },
  'POST /api/service-catalogue/:id/aliases': {
    summary: 'Add an alias customers use for a service (409 when another service has it)',
  },
  'DELETE /api/service-catalogue/:id/aliases/:alias': { summary: 'Remove an alias an admin added' },
  'GET /api/corrections': {
    summary: "Changes agents and admins made to cases' category or handling, newest first (one per case)",
  },
  'GET /api/corrections/rules': {
    summary: 'The rules whose results were corrected most, with where cases moved',
  },
  'GET /api/rules': { summary: 'The triage rule set (ordered) and its version' },
  'GET /api/rules/versions': { summary: 'Earlier versions of the rule set' },
  'GET /api/rules/:id': { summary: 'One rule' },
  'PUT /api/rules': { summary: 'Replace the rule set (a new version)', body: ruleSetBody },
  'POST /api/rules': { summary: 'Add a rule at a position', body: ruleSchema, query: positionQuery },
  'PUT /api/rules/:id': { summary: 'Replace a rule', body: ruleSchema },
  'DELETE /api/rules/:id': { summary: 'Delete a rule' },
  'POST /api/rules/dry-run': {
    summary:
      'What a rule set would change on recent cases, and how many recorded corrections it fixes and breaks, without saving',
    body: dryRunBody,
  },
  'GET /api/templates': { summary: 'Every template key × locale × channel with its live version' },
  'GET /api/templates/:key/:locale': {
    summary: 'A template: live text and version history',
    query: templateQuery,
  },
  'PUT /api/templates/:key/:locale': {
    summary: 'Save a new version (422 with line and column when it does not pass the lint)',
    body: saveBody,
    query: templateQuery,
  },
  'POST /api/templates/:key/:locale/preview': {
    summary: 'Render against a sample case of a plan, with the lint',
    body: previewBody,
    query: templateQuery,
  },
  'POST /api/templates/:key/:locale/rollback': {
    summary: 'Make an old version live again, as a new version',
    body: rollbackBody,
    query: templateQuery,
  },
  'GET /api/quarantine': { summary: 'Mail that could not be taken in' },
  'GET /api/quarantine/:id/raw': { summary: 'A quarantined mail as it arrived (text, first 256 KB)' },
  'POST /api/quarantine/:id/release': { summary: 'Take a quarantined mail in again' },
  'GET /api/sends': { summary: 'Sends, e.g. ?status=failed', query: sendListQuery },
  'POST /api/sends/:id/retry': { summary: 'Send a failed send again' },
  'GET /api/chat/settings': { summary: 'What the portal needs to embed the chat widget' },
  'POST /api/chat/identity-secret': {
    summary: 'Replace the chat identity secret; the answer is the only place the new one is shown',
  },
  'GET /api/audit': { summary: 'Who changed what, newest first', query: auditQuery },
  'GET /api/openapi.json': { summary: 'This document' },
  'GET /api/docs': { summary: 'This document as a page' },
};
