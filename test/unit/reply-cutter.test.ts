import { describe, expect, it } from 'vitest';
import { cutReply } from '../../src/channels/email/reply-cutter.js';

const lines = (...l: string[]) => l.join('\n');

describe('cutReply: English clients', () => {
  it('cuts a Gmail "On ... wrote:" attribution and the quote under it', () => {
    const text = lines(
      'Thanks, that fixed it.',
      '',
      'On Wed, Nov 25, 2026 at 10:00 AM Support Desk <support@example.test> wrote:',
      '> Please sign out and in again.',
      '> Regards',
    );
    expect(cutReply(text)).toBe('Thanks, that fixed it.');
  });

  it('cuts an Outlook From:/Sent: header block', () => {
    const text = lines(
      'Please see the attached log.',
      '',
      'From: Support Desk <support@example.test>',
      'Sent: Wednesday, November 25, 2026 10:00 AM',
      'To: Taro Yamada <taro@fabrikam.example>',
      'Subject: RE: [Case #1042] Login fails',
      '',
      'Please send us the sign-in log.',
    );
    expect(cutReply(text)).toBe('Please see the attached log.');
  });

  it("cuts Outlook's underscore separator line", () => {
    const text = lines(
      'See below.',
      '________________________________',
      'From: Support Desk',
      'Sent: Monday',
    );
    expect(cutReply(text)).toBe('See below.');
  });

  it('cuts at "-----Original Message-----"', () => {
    const text = lines(
      'Still broken.',
      '',
      '-----Original Message-----',
      'From: support@example.test',
      'Please retry.',
    );
    expect(cutReply(text)).toBe('Still broken.');
  });

  it('cuts at a Gmail forwarded-message marker', () => {
    const text = lines(
      'FYI',
      '',
      '---------- Forwarded message ---------',
      'From: Vendor <a@vendor.example>',
    );
    expect(cutReply(text)).toBe('FYI');
  });

  it('cuts "> " quoted lines that follow the customer\'s own text', () => {
    const text = lines('Yes, go ahead.', '> Shall we restart the tenant sync?', '> Regards');
    expect(cutReply(text)).toBe('Yes, go ahead.');
  });

  it('cuts a "-- " signature', () => {
    const text = lines('The license count is wrong.', '', '-- ', 'Taro Yamada', 'Fabrikam Ltd.');
    expect(cutReply(text)).toBe('The license count is wrong.');
  });

  it.each(['Sent from my iPhone', 'Get Outlook for iOS', 'Outlook for Android'])(
    'cuts the mobile footer "%s"',
    (f) => {
      expect(cutReply(lines('Please call me.', '', f))).toBe('Please call me.');
    },
  );

  it('handles CRLF line endings', () => {
    expect(cutReply('Hello\r\nworld\r\n\r\nSent from my iPhone')).toBe('Hello\nworld');
  });

  it("keeps the customer's own paragraphs, with runs of blank lines squeezed to one", () => {
    const text = lines('First paragraph.', '', '', '', 'Second paragraph.', '', '-- ', 'Taro');
    expect(cutReply(text)).toBe('First paragraph.\n\nSecond paragraph.');
  });
});

describe('cutReply: other languages', () => {
  it.each([
    'Le mer. 25 nov. 2026 à 10:00, Support Desk <support@example.test> a écrit :',
    'Am Mi., 25. Nov. 2026 um 10:00 Uhr schrieb Support Desk <support@example.test>:',
    'El mié, 25 nov 2026 a las 10:00, Support Desk (<support@example.test>) escribió:',
    'Op wo 25 nov. 2026 om 10:00 schreef Support Desk <support@example.test>:',
  ])('cuts the attribution "%s" and the quote under it', (attribution) => {
    expect(cutReply(lines('Merci, ça marche.', '', attribution, '> Please retry.'))).toBe(
      'Merci, ça marche.',
    );
  });

  it('cuts an Apple Mail (ja) attribution "2026/11/25 10:00、名前 <addr>のメール:"', () => {
    const text = lines(
      '承知しました。',
      '',
      '2026/11/25 10:00、サポート窓口 <support@example.test>のメール:',
      '',
      '> 再度',
    );
    expect(cutReply(text)).toBe('承知しました。');
  });
});

describe('cutReply: Japanese clients', () => {
  it('cuts a Gmail (ja) attribution line "2026年11月25日(水) 10:00 名前 <addr>:"', () => {
    const text = lines(
      'ありがとうございます。解決しました。',
      '',
      '2026年11月25日(水) 10:00 サポート窓口 <support@example.test>:',
      '> 再度お試しください。',
    );
    expect(cutReply(text)).toBe('ありがとうございます。解決しました。');
  });

  it('cuts a Gmail (ja) attribution with full-width parentheses and colon', () => {
    const text = lines(
      '承知しました。',
      '',
      '2026年11月25日（水） 10:00 サポート窓口 <support@example.test>：',
      '> 再度',
    );
    expect(cutReply(text)).toBe('承知しました。');
  });

  it('cuts a dated "... さん wrote:" attribution without a weekday', () => {
    const text = lines('承知しました。', '', '2026/11/25 10:00 山田さん wrote:', '> 再度');
    expect(cutReply(text)).toBe('承知しました。');
  });

  // Regression (fixed): the source says the name may wrap onto the next line, but the first line then does not end
  // in ":" and neither attribution pattern matches, so the attribution stays in the customer's text.
  it('cuts a Gmail (ja) attribution whose address wrapped onto the next line', () => {
    const text = lines(
      'ありがとうございます。',
      '',
      '2026年11月25日(水) 10:00 サポート窓口 <',
      'support@example.test>:',
      '',
      '> 再度お試しください。',
    );
    expect(cutReply(text)).toBe('ありがとうございます。');
  });

  it('cuts an Outlook (ja) 差出人:/送信日時: block', () => {
    const text = lines(
      'ログを添付します。',
      '',
      '差出人: サポート窓口 <support@example.test>',
      '送信日時: 2026年11月25日 10:00',
      '宛先: 山田 太郎 <taro@fabrikam.example>',
      '件名: RE: [Case #1042] ログインできない',
      '',
      'ログをお送りください。',
    );
    expect(cutReply(text)).toBe('ログを添付します。');
  });

  it('cuts an Outlook (ja) block written with full-width colons', () => {
    const text = lines(
      'ログです。',
      '',
      '差出人： サポート窓口',
      '送信日時： 2026年11月25日 10:00',
      '',
      '本文',
    );
    expect(cutReply(text)).toBe('ログです。');
  });

  it('cuts at "-----元のメッセージ-----"', () => {
    const text = lines(
      'まだ直りません。',
      '',
      '-----元のメッセージ-----',
      '差出人: support@example.test',
      '再度お試しください。',
    );
    expect(cutReply(text)).toBe('まだ直りません。');
  });

  it('cuts at a Japanese forwarded-message marker', () => {
    const text = lines('ご確認ください。', '', '---------- 転送されたメッセージ ---------', '差出人: a');
    expect(cutReply(text)).toBe('ご確認ください。');
  });

  it.each(['iPhoneから送信', 'iPadから送信', 'Android から送信'])('cuts the mobile footer "%s"', (f) => {
    expect(cutReply(lines('電話をください。', '', f))).toBe('電話をください。');
  });

  it('cuts "> " quoted lines under Japanese text', () => {
    expect(cutReply(lines('了解しました。', '> 再起動してよろしいですか。'))).toBe('了解しました。');
  });
});

describe("cutReply: the customer's own words are never cut (hard negatives)", () => {
  it('keeps a sentence that starts with a date and time', () => {
    const text = lines(
      'ライセンスを追加してください。',
      '2026年12月1日 10:00 に山田様と打ち合わせ予定です。',
      'よろしくお願いします。',
    );
    expect(cutReply(text)).toBe(text);
  });

  it('keeps the date-and-time sentence when it is the first line', () => {
    const text = lines(
      '2026年12月1日 10:00 に山田様と打ち合わせ予定です。',
      'それまでにライセンスを追加してください。',
    );
    expect(cutReply(text)).toBe(text);
  });

  // Regression (fixed): the Gmail (ja) pattern accepts any line that starts "YYYY年M月D日(曜) H:MM" and ends in ":",
  // so a customer's own sentence introducing a list is taken for an attribution and the list is dropped.
  it('keeps a sentence with a weekday and a time that ends in a colon', () => {
    const text = lines(
      'お世話になっております。',
      '2026年12月1日(火) 10:00 からの作業内容は以下のとおりです:',
      '・ライセンス追加',
      '・MFA 設定',
    );
    expect(cutReply(text)).toBe(text);
  });

  it('keeps a line that starts "From: the admin portal I see..."', () => {
    const text = lines('Hello,', 'From: the admin portal I see an error 500.', 'What should I do?');
    expect(cutReply(text)).toBe(text);
  });

  it('keeps "From: ..." followed by an ordinary sentence that merely starts with a header word', () => {
    const text = lines(
      'Hello,',
      'From: the admin portal I see an error 500.',
      'Subject to your approval I will restart.',
      'Thanks',
    );
    expect(cutReply(text)).toBe(text);
  });

  it('keeps "> " lines that open the mail (there is no own text before them)', () => {
    const text = lines('> only quoted', '> text here');
    expect(cutReply(text)).toBe(text);
  });
});

describe('cutReply: all quote falls back to the whole text', () => {
  it('returns the whole text of a bare "-----Original Message-----"', () => {
    const text = lines('-----Original Message-----', 'From: support@example.test', 'Please retry.');
    expect(cutReply(text)).toBe(text);
  });

  it('returns the whole text of a bare Outlook header block', () => {
    const text = lines('From: Support <support@example.test>', 'Sent: Wednesday', '', 'Please send the log.');
    expect(cutReply(text)).toBe(text);
  });

  it('returns the whole (trimmed) text when only blank lines precede a Gmail attribution', () => {
    const text = lines(
      'On Wed, Nov 25, 2026 at 10:00 AM Support Desk <support@example.test> wrote:',
      '> Please try again.',
    );
    expect(cutReply(`\n\n${text}\n`)).toBe(text);
  });

  // Regression (fixed): with the attribution on the first line, the cut lands on the first "> " line and the
  // attribution alone is returned as the customer's words; the fallback only fires when nothing at all is left.
  it.each([
    lines(
      'On Wed, Nov 25, 2026 at 10:00 AM Support Desk <support@example.test> wrote:',
      '> Please try again.',
    ),
    lines('2026年11月25日(水) 10:00 サポート窓口 <support@example.test>:', '> 再度お試しください。'),
  ])('returns the whole text of an attribution plus quote with nothing typed above it: %j', (text) => {
    expect(cutReply(text)).toBe(text);
  });

  it('returns an empty string for blank input', () => {
    expect(cutReply('')).toBe('');
    expect(cutReply('  \n  ')).toBe('');
  });
});
