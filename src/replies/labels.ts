import type { CaseStatus, Category, Handling, Locale, Priority } from '../vocabulary.js';

// The data's words as people read them, in each locale: what notifications and escalation mails show instead
// of `ms_service_unavailable`.

const categoryNames: Record<Category, Record<Locale, string>> = {
  how_to: { ja: '使い方のお問い合わせ', en: 'How-to question' },
  configuration: { ja: '設定・構成', en: 'Configuration' },
  billing_subscription: { ja: 'ご契約・サブスクリプション', en: 'Billing and subscriptions' },
  known_incident: { ja: '既知の障害', en: 'Known service incident' },
  ms_undocumented_behaviour: {
    ja: 'サービス説明どおりに動作しない (文書化されていない問題)',
    en: 'Service not working as described (undocumented issue)',
  },
  ms_service_unavailable: { ja: 'サービスを利用できない', en: 'Service unavailable' },
  ms_bug_or_anomaly: {
    ja: 'サービスの表示や動作の不具合',
    en: "Bug or anomaly in the service's look or behaviour",
  },
  ms_network_disruption: { ja: '大規模なネットワーク障害', en: 'Large-scale network disruption' },
  ms_regional_multitenant: {
    ja: '複数テナントに影響する地域的な問題',
    en: 'Regional issue affecting several tenants',
  },
  unclassified: { ja: '未分類', en: 'Not classified' },
};

const handlingNames: Record<Handling, Record<Locale, string>> = {
  partner: { ja: '当社で対応', en: 'Resolved by the partner' },
  microsoft: { ja: 'Microsoft へ引き継ぎ', en: 'Handed to Microsoft' },
  indirect_provider: {
    ja: '販売代理店 (間接プロバイダー) へ引き継ぎ',
    en: 'Handed to the indirect provider',
  },
};

const priorityNames: Record<Priority, Record<Locale, string>> = {
  low: { ja: '低', en: 'Low' },
  normal: { ja: '通常', en: 'Normal' },
  high: { ja: '高', en: 'High' },
  urgent: { ja: '緊急', en: 'Urgent' },
};

const statusNames: Record<CaseStatus, Record<Locale, string>> = {
  new: { ja: '新規', en: 'New' },
  open: { ja: '対応中', en: 'Open' },
  pending: { ja: '回答待ち', en: 'Pending' },
  resolved: { ja: '解決済み', en: 'Resolved' },
  closed: { ja: '終了', en: 'Closed' },
};

function name<K extends string>(
  table: Record<K, Record<Locale, string>>,
  key: string,
  locale: Locale,
): string {
  return (table as Record<string, Record<Locale, string>>)[key]?.[locale] ?? key;
}

export const categoryName = (c: string, l: Locale) => name(categoryNames, c, l);
export const handlingName = (h: string, l: Locale) => name(handlingNames, h, l);
export const priorityName = (p: string, l: Locale) => name(priorityNames, p, l);
export const statusName = (s: string, l: Locale) => name(statusNames, s, l);
