import type { Locale } from '../vocabulary.js';

// Why an agent's mail was not delivered, told to the agent (at their registered address, never to the
// sender of the mail, who may be someone else) in the agent's language.

export const rejectReasons = [
  'no_token',
  'bad_token',
  'expired_token',
  'unknown_agent',
  'inactive_agent',
  'not_the_agent',
  'sender_unproven',
  'unknown_case',
  'case_mismatch',
  'bad_command',
  'empty_answer',
  'command_failed',
] as const;
export type RejectReason = (typeof rejectReasons)[number];

const explanations: Record<RejectReason, Record<Locale, string>> = {
  no_token: {
    ja: '返信が通知メールの返信先アドレス (Reply-To) に届きませんでした。通知メールに「返信」で答えてください。',
    en: "The reply did not go to the notification's reply address (Reply-To). Answer with Reply on the notification.",
  },
  bad_token: {
    ja: '返信先アドレスが当方の発行したものではないか、書き換えられています。',
    en: 'The reply address is not one we issued, or it was changed.',
  },
  expired_token: {
    ja: '返信先アドレスの有効期限が切れています。最新の通知メールに返信してください。',
    en: 'The reply address has expired. Answer the latest notification of the case.',
  },
  unknown_agent: {
    ja: '返信先アドレスの担当者が登録されていません。',
    en: 'The reply address names an agent who is not registered.',
  },
  inactive_agent: {
    ja: '担当者アカウントが無効になっています。管理者に連絡してください。',
    en: 'Your agent account is inactive. Ask an admin.',
  },
  not_the_agent: {
    ja: '返信先アドレスは別の担当者のものです。ご自身宛ての通知メールに、ご自身のアドレスから返信してください。',
    en: 'The reply address belongs to another agent, or the mail came from another address. Answer your own notification from your own address.',
  },
  sender_unproven: {
    ja: '受信サーバーが送信者を確認できませんでした (なりすましの可能性)。',
    en: 'The receiving mail server could not verify the sender (the mail may be forged).',
  },
  unknown_case: {
    ja: '返信先アドレスのお問い合わせが見つかりません。',
    en: 'The case the reply address names does not exist.',
  },
  case_mismatch: {
    ja: '返信先アドレスと件名・スレッドが別のお問い合わせを指しています。該当するお問い合わせの通知メールに返信してください。',
    en: "The reply address and the subject or thread name different cases. Answer the case's own notification.",
  },
  bad_command: {
    ja: 'コマンドを読み取れませんでした。お客様には何も送っていません。',
    en: 'A command could not be read. Nothing was sent to the customer.',
  },
  empty_answer: {
    ja: '返信に本文もコマンドもありませんでした (引用と署名のみ)。',
    en: 'The reply held neither words nor commands (only the quote and a signature).',
  },
  command_failed: {
    ja: 'コマンドを実行できませんでした。お客様には何も送っていません。',
    en: 'A command could not be carried out. Nothing was sent to the customer.',
  },
};

/** The reason in the agent's words (for the API and the admin). */
export function explain(reason: RejectReason, locale: Locale): string {
  return explanations[reason][locale];
}

export function rejectionNotice(
  n: { reason: RejectReason; detail: string; caseNumber: string | null; subject: string },
  locale: Locale,
): { subject: string; text: string } {
  const tag = n.caseNumber ? `[Case #${n.caseNumber}] ` : '';
  const lines =
    locale === 'ja'
      ? [
          'お送りいただいた返信は、お客様に届けていません。',
          '',
          `理由: ${explain(n.reason, 'ja')}`,
          ...(n.detail ? [`詳細: ${n.detail.slice(0, 2000)}`] : []),
          `件名: ${n.subject}`,
          '',
          '※ このメールは自動送信されています。',
        ]
      : [
          'Your reply was not delivered to the customer.',
          '',
          `Why: ${explain(n.reason, 'en')}`,
          ...(n.detail ? [`Detail: ${n.detail.slice(0, 2000)}`] : []),
          `Subject: ${n.subject}`,
          '',
          'This message was sent automatically.',
        ];
  const subject = locale === 'ja' ? '返信は送信されませんでした' : 'Your reply was not delivered';
  return { subject: `${tag}${subject}`, text: lines.join('\n') };
}
