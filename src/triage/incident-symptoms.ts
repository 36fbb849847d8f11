import { firstKeyword, type MatchText, prepareText } from './text-match.js';

// An incident is about one symptom of a service ("Users may be unable to join meetings"); a customer of the
// same service may have another ("images fail in Teams chat"). Both are read for the parts of a service they
// name, in English and Japanese; when each names some and they share none, the customer's trouble is not the
// incident. When either names none, nothing is decided here. Signing in is not a part: an outage of any
// part can stop it. A sentence saying a part works ("meetings are fine") names nothing.

const parts: Record<string, readonly string[]> = {
  meetings: ['meeting', 'join', 'lobby', '会議', 'ミーティング', '参加'],
  chat: ['chat', 'チャット'],
  calls: ['call', 'audio', 'voice', 'dial-in', 'pstn', '通話', '音声', '電話'],
  'mail delivery': [
    'send',
    'sent',
    'receiv',
    'deliver',
    'bounce',
    'inbound',
    'outbound',
    'external mail',
    'ndr',
    '送信',
    '受信',
    '届か',
    '届き',
    '配信',
  ],
  'mailbox access': [
    'mailbox',
    'inbox',
    'outlook on the web',
    'owa',
    'メールボックス',
    '受信トレイ',
    '受信箱',
    'webmail',
    'web mail',
    'web版',
    'ブラウザ版',
  ],
  files: [
    'file',
    'document',
    'folder',
    'upload',
    'download',
    'ファイル',
    'フォルダ',
    'アップロード',
    'ダウンロード',
  ],
  sync: ['sync', '同期'],
  flows: ['flow', 'trigger', 'run history', 'automation', 'フロー', 'トリガー', '実行履歴', '自動化'],
  plans: ['plan', 'task', 'bucket', 'プラン', 'タスク', 'バケット'],
  calendar: ['calendar', 'appointment', '予定表', 'カレンダー'],
  recordings: ['recording', '録画'],
  images: ['image', 'picture', 'screenshot', 'photo', '画像', '写真', 'スクリーンショット'],
  reports: ['report', 'レポート'],
};

/** The parts of a service a text names (meetings, chat, mail delivery, ...). */
export function partsNamed(text: MatchText): string[] {
  return Object.entries(parts)
    .filter(([, words]) => firstKeyword(text, words) !== null)
    .map(([part]) => part);
}

const titleParts = new Map<string, string[]>();

/** The parts an incident's title names, read once per title. */
export function incidentParts(title: string): string[] {
  let named = titleParts.get(title);
  if (!named) {
    named = partsNamed(prepareText(title));
    if (titleParts.size > 1000) titleParts.clear();
    titleParts.set(title, named);
  }
  return named;
}

// Whole phrases: "ok" is in "Outlook", "works" in "networks".
const works = [
  '問題ありません',
  '問題なく',
  '普通に',
  '正常に',
  'できています',
  'is fine',
  'are fine',
  'seems fine',
  'seem fine',
  'looks fine',
  'look fine',
  'works fine',
  'work fine',
  'working fine',
  'works normally',
  'work normally',
  'working normally',
  'no problem',
  'no issue',
];

/** The parts the sentences of a text name, leaving out those saying a part works. */
function troubledParts(sentences: readonly string[]): string[] {
  const troubled = sentences.map(prepareText).filter((t) => !firstKeyword(t, works));
  return [...new Set(troubled.flatMap(partsNamed))];
}

/**
 * The incidents whose symptom a text describes without naming their service ("the meeting link just sits on
 * Connecting", "承認の自動化が動かない"): each incident whose title names a part that the text's troubled
 * sentences name too.
 */
export function incidentsDescribed<T extends { title: string }>(
  incidents: readonly T[],
  sentences: readonly string[],
): T[] {
  const named = troubledParts(sentences);
  if (!named.length) return [];
  return incidents.filter((i) => incidentParts(i.title).some((p) => named.includes(p)));
}

/**
 * Null when the text may be the incident; else what each is about, to say why it is not. `about` holds the
 * sentences about the incident's service, one per line.
 */
export function otherSymptom(title: string, about: string): { incident: string[]; text: string[] } | null {
  const incident = incidentParts(title);
  if (!incident.length) return null;
  const text = troubledParts(about.split('\n'));
  if (!text.length || text.some((p) => incident.includes(p))) return null;
  return { incident, text };
}
