// The words the product's data speaks, declared once: the zod schemas, the rule schema and the table types
// take their unions from here.

export const channels = ['email', 'chat'] as const;
export type Channel = (typeof channels)[number];

export const locales = ['ja', 'en'] as const;
export type Locale = (typeof locales)[number];

export const priorities = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof priorities)[number];

export const categories = [
  'how_to',
  'configuration',
  'billing_subscription',
  'known_incident',
  'ms_undocumented_behaviour',
  'ms_service_unavailable',
  'ms_bug_or_anomaly',
  'ms_network_disruption',
  'ms_regional_multitenant',
  'unclassified',
] as const;
export type Category = (typeof categories)[number];

/** The five categories only Microsoft can fix. */
export const handoverCategories: readonly Category[] = [
  'ms_undocumented_behaviour',
  'ms_service_unavailable',
  'ms_bug_or_anomaly',
  'ms_network_disruption',
  'ms_regional_multitenant',
];

/** Whether a stored category is one of the five only Microsoft can fix. */
export function isHandoverCategory(category: string): boolean {
  return (handoverCategories as readonly string[]).includes(category);
}

export const handlings = ['partner', 'microsoft', 'indirect_provider'] as const;
export type Handling = (typeof handlings)[number];

export const caseStatuses = ['new', 'open', 'pending', 'resolved', 'closed'] as const;
export type CaseStatus = (typeof caseStatuses)[number];

export const sendStatuses = ['pending', 'sending', 'sent', 'logged', 'failed'] as const;
export type SendStatus = (typeof sendStatuses)[number];

export const relationships = ['direct', 'indirect'] as const;
export type Relationship = (typeof relationships)[number];

/** The templates a triage rule may choose for the automatic reply. */
export const replyTemplates = [
  'ack',
  'ack_out_of_hours',
  'known_incident',
  'handover_microsoft',
  'handover_indirect_provider',
  'unknown_customer',
] as const;

/** Every template: the automatic replies, then the agents' notification, the transcript and the escalation. */
export const templateKeys = [
  ...replyTemplates,
  'agent_notification',
  'chat_transcript',
  'escalation_indirect_provider',
] as const;
export type TemplateKey = (typeof templateKeys)[number];

/** What an agent may do: answer cases (agent), or also run the desk (admin). */
export const agentRoles = ['agent', 'admin'] as const;
export type AgentRole = (typeof agentRoles)[number];

/** Microsoft's service-health statuses (Graph serviceHealthIssue.status), plus our own `resolved`. */
export const incidentStatuses = [
  'investigating',
  'confirmed',
  'reported',
  'serviceDegradation',
  'serviceInterruption',
  'restoringService',
  'extendedRecovery',
  'investigationSuspended',
  'verifyingService',
  'serviceRestored',
  'postIncidentReviewPublished',
  'mitigated',
  'mitigatedExternal',
  'resolvedExternal',
  'falsePositive',
  'resolved',
] as const;
