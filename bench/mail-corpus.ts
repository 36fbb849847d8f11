import iconv from 'iconv-lite';

// Realistic inbound mail for the bench: what Contoso's people send from Outlook, Thunderbird, Becky! and
// phones. Deterministic for one seed, so two runs push the same bytes. No In-Reply-To or References and no
// [Case #N] in subjects: every mail is a new case and so gets exactly one ack.

export type MailKind = 'utf8-plain' | 'jis-plain' | 'utf8-alternative' | 'utf8-attachment' | 'jis-attachment';

export interface BenchMail {
  messageId: string;
  from: string;
  kind: MailKind;
  raw: Buffer;
}

export interface CorpusOptions {
  /** Distinguishes runs and phases in Message-IDs and sender addresses, e.g. `tp-3f9a0c`. */
  tag: string;
  count: number;
  domain?: string;
  seed?: number;
}

/** mulberry32: tiny, fast and good enough to pick sentences. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const familyNames = ['山田', '佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '中村', '小林', '加藤'];
const givenNames = ['太郎', '花子', '一郎', '美咲', '健太', '陽子', '翔', '由美', '大輔', '真理'];
const subjects = [
  'Exchange Online でメールが送信できません',
  'Teams 会議に外部ユーザーが参加できない件',
  'ライセンスの追加購入について',
  'OneDrive の同期エラー (0x8004de40) について',
  'Outlook の予定表が共有できません',
  '多要素認証のリセットをお願いします',
  'SharePoint サイトのアクセス権について',
  'Microsoft 365 管理センターにサインインできない',
  '請求書の送付先変更のお願い',
  'Defender for Office 365 の隔離メールについて',
  'Intune に端末が登録できません',
  'メールボックスの容量が上限に達しました',
];
const openings = [
  'いつもお世話になっております。',
  'お世話になっております。株式会社コントソの情報システム部です。',
  'お疲れ様です。',
  '突然のご連絡失礼いたします。',
];
const sentences = [
  '昨日の午後から、一部のユーザーで社外宛てのメールが送信できない状態が続いております。',
  '送信すると「配信できませんでした」という通知が返ってきます。',
  'エラーコードは 550 5.7.520 と表示されています。',
  '対象のユーザーは営業部の約二十名で、他の部署では発生しておりません。',
  '管理センターのサービス正常性を確認しましたが、特に障害情報は出ておりませんでした。',
  'ブラウザーのキャッシュを削除し、再起動も試しましたが改善しません。',
  '業務に影響が出ているため、至急ご確認いただけますでしょうか。',
  '来週の月曜日に役員会議があり、それまでに解決したいと考えております。',
  'ライセンスは E3 を五十件契約しており、今月中に十件追加したいと考えています。',
  '見積書をいただけますと幸いです。',
  '操作手順のスクリーンショットを添付いたしますので、ご確認ください。',
  '同様の事象について、過去に事例がありましたら教えていただけますでしょうか。',
  '端末は Windows 11 と iPhone で、どちらでも同じ症状です。',
  '先月の設定変更以降に発生しているように思われます。',
  '条件付きアクセスのポリシーを変更した記録が残っております。',
];
const closings = [
  'お忙しいところ恐れ入りますが、よろしくお願いいたします。',
  '何卒よろしくお願い申し上げます。',
  'ご対応のほど、よろしくお願いいたします。',
];
const mailers = [
  'Microsoft Outlook 16.0',
  'Mozilla Thunderbird 128.4.0',
  'Becky! ver. 2.81.04',
  'iPhone Mail (21H16)',
];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

/** RFC 1468: JIS X 0208 between ESC $ B and ESC ( B, via EUC-JP (iconv-lite has no ISO-2022-JP encoder). */
export function encodeIso2022jp(text: string): Buffer {
  const out: number[] = [];
  let jis = false;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) {
      if (jis) out.push(0x1b, 0x28, 0x42);
      jis = false;
      out.push(code);
      continue;
    }
    const euc = iconv.encode(ch, 'euc-jp');
    if (euc.length !== 2 || euc[0]! < 0xa1 || euc[1]! < 0xa1) {
      // Half-width kana and JIS X 0212 are not in ISO-2022-JP; the corpus avoids them.
      if (jis) out.push(0x1b, 0x28, 0x42);
      jis = false;
      out.push(0x3f);
      continue;
    }
    if (!jis) out.push(0x1b, 0x24, 0x42);
    jis = true;
    out.push(euc[0]! & 0x7f, euc[1]! & 0x7f);
  }
  if (jis) out.push(0x1b, 0x28, 0x42);
  return Buffer.from(out);
}

function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** Quoted-printable for UTF-8 text (soft line breaks at 76). */
function quotedPrintable(text: string): string {
  const lines = text.split('\n').map((line) => {
    let encoded = '';
    for (const byte of Buffer.from(line, 'utf8')) {
      encoded +=
        (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32
          ? String.fromCharCode(byte)
          : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    const parts: string[] = [];
    while (encoded.length > 75) {
      let cut = 75;
      // Never split an =XX escape.
      const eq = encoded.lastIndexOf('=', cut);
      if (eq > cut - 3) cut = eq;
      parts.push(`${encoded.slice(0, cut)}=`);
      encoded = encoded.slice(cut);
    }
    parts.push(encoded.endsWith(' ') ? `${encoded.slice(0, -1)}=20` : encoded);
    return parts.join('\r\n');
  });
  return lines.join('\r\n');
}

function encodedWord(text: string, charset: 'UTF-8' | 'ISO-2022-JP'): string {
  const bytes = charset === 'UTF-8' ? Buffer.from(text, 'utf8') : encodeIso2022jp(text);
  return `=?${charset}?B?${bytes.toString('base64')}?=`;
}

function body(rnd: () => number, name: string): string {
  const lines = ['サポートご担当者様', '', pick(rnd, openings), ''];
  const n = 2 + Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) lines.push(pick(rnd, sentences));
  lines.push('', pick(rnd, closings), '', '--', '株式会社コントソ 情報システム部', name, 'TEL: 03-1234-5678');
  if (rnd() < 0.3) {
    // Forwarded history from a colleague, as Outlook quotes it.
    lines.push(
      '',
      '-----Original Message-----',
      '差出人: 情報システム部 <it@contoso.co.jp>',
      '送信日時: 2026年11月24日 18:02',
      '件名: 社内問い合わせ',
      '',
      pick(rnd, sentences),
      pick(rnd, sentences),
    );
  }
  return lines.join('\n');
}

function attachment(rnd: () => number, i: number): { headers: string; content: string } {
  if (rnd() < 0.5) {
    const bytes = Buffer.alloc(1500 + Math.floor(rnd() * 4000));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rnd() * 256);
    // A PNG signature, so that the part looks like the screenshot it claims to be.
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
    return {
      headers: `Content-Type: image/png; name="screenshot-${i}.png"\r\nContent-Disposition: attachment; filename="screenshot-${i}.png"\r\nContent-Transfer-Encoding: base64`,
      content: base64Lines(bytes),
    };
  }
  const rows = ['timestamp,user,event,result'];
  const count = 20 + Math.floor(rnd() * 60);
  for (let j = 0; j < count; j++)
    rows.push(
      `2026-11-24T09:${String(j % 60).padStart(2, '0')}:00Z,user${j}@contoso.co.jp,SendMail,Failed 550 5.7.520`,
    );
  return {
    headers: `Content-Type: text/csv; charset=UTF-8; name="=?UTF-8?B?${Buffer.from('送信ログ.csv').toString('base64')}?="\r\nContent-Disposition: attachment; filename*=UTF-8''${encodeURIComponent('送信ログ.csv')}\r\nContent-Transfer-Encoding: base64`,
    content: base64Lines(Buffer.from(rows.join('\r\n'), 'utf8')),
  };
}

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

function kindFor(i: number): MailKind {
  // 35 % UTF-8 plain, 30 % ISO-2022-JP plain, 15 % UTF-8 text+HTML, 10 % + 10 % with an attachment.
  const slot = i % 20;
  if (slot < 7) return 'utf8-plain';
  if (slot < 13) return 'jis-plain';
  if (slot < 16) return 'utf8-alternative';
  if (slot < 18) return 'utf8-attachment';
  return 'jis-attachment';
}

export function buildCorpus({
  tag,
  count,
  domain = 'contoso.co.jp',
  seed = 20261125,
}: CorpusOptions): BenchMail[] {
  const rnd = prng(seed);
  const mails: BenchMail[] = [];
  for (let i = 0; i < count; i++) {
    const kind = kindFor(i);
    const jis = kind.startsWith('jis');
    const charset = jis ? 'ISO-2022-JP' : 'UTF-8';
    const name = `${pick(rnd, familyNames)} ${pick(rnd, givenNames)}`;
    const from = `${tag}-${String(i).padStart(5, '0')}@${domain}`;
    const messageId = `<${tag}.${i}.${Math.floor(rnd() * 1e9).toString(36)}@mail.${domain}>`;
    const subject = pick(rnd, subjects);
    const text = body(rnd, name);
    const date = new Date(Date.UTC(2026, 10, 25, 1, 0, 0) + i * 1000).toUTCString().replace('GMT', '+0000');
    const boundary = `----=_Part_${i}_${Math.floor(rnd() * 1e9)}`;
    const headers = [
      `Return-Path: <${from}>`,
      `Received: from mail.${domain} (mail.${domain} [203.0.113.${i % 250}]) by mx.example.test with ESMTPS; ${date}`,
      `From: ${encodedWord(name, charset)} <${from}>`,
      'To: support@example.test',
      `Subject: ${encodedWord(subject, charset)}`,
      `Date: ${date}`,
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      `X-Mailer: ${pick(rnd, mailers)}`,
    ];
    const plainPart = (): { headers: string; content: Buffer } => {
      if (jis) {
        return {
          headers: 'Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit',
          content: Buffer.concat(text.split('\n').flatMap((l) => [encodeIso2022jp(l), Buffer.from('\r\n')])),
        };
      }
      const cte = pick(rnd, ['base64', 'quoted-printable', '8bit'] as const);
      const content =
        cte === 'base64'
          ? base64Lines(Buffer.from(crlf(text), 'utf8'))
          : cte === 'quoted-printable'
            ? quotedPrintable(text)
            : crlf(text);
      return {
        headers: `Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: ${cte}`,
        content: Buffer.from(`${content}\r\n`, 'utf8'),
      };
    };
    let raw: Buffer;
    if (kind === 'utf8-plain' || kind === 'jis-plain') {
      const part = plainPart();
      raw = Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n${part.headers}\r\n\r\n`), part.content]);
    } else if (kind === 'utf8-alternative') {
      const html = `<html><body><div style="font-family:Meiryo">${text
        .split('\n')
        .map((l) => (l ? `<p>${l}</p>` : '<br>'))
        .join('')}</div><img src="https://tracker.example.net/p.gif" width="1" height="1"></body></html>`;
      raw = Buffer.concat([
        Buffer.from(
          `${headers.join('\r\n')}\r\nContent-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n`,
        ),
        Buffer.from(`--${boundary}\r\n`),
        Buffer.from(
          'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
        ),
        Buffer.from(`${quotedPrintable(text)}\r\n--${boundary}\r\n`),
        Buffer.from('Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
        Buffer.from(`${base64Lines(Buffer.from(html, 'utf8'))}\r\n--${boundary}--\r\n`),
      ]);
    } else {
      const part = plainPart();
      const file = attachment(rnd, i);
      raw = Buffer.concat([
        Buffer.from(
          `${headers.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`,
        ),
        Buffer.from(
          `This is a multi-part message in MIME format.\r\n--${boundary}\r\n${part.headers}\r\n\r\n`,
        ),
        part.content,
        Buffer.from(`--${boundary}\r\n${file.headers}\r\n\r\n${file.content}\r\n--${boundary}--\r\n`),
      ]);
    }
    mails.push({ messageId, from, kind, raw });
  }
  return mails;
}
