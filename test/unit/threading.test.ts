import { describe, expect, it } from 'vitest';
import {
  caseNumberFromSubject,
  domainOf,
  formatCaseTag,
  isReadableTagFormat,
  subjectTagMayJoin,
  threadCandidates,
} from '../../src/cases/threading.js';

describe('caseNumberFromSubject', () => {
  it.each([
    ['[Case #1042] Login fails', '1042'],
    ['Re: Fwd: [Case #1044] Login fails', '1044'],
    ['RE: 転送: [Case #1045] ログインできない', '1045'],
    ['[case #7] lower case', '7'],
    ['[CASE#8]', '8'],
    ['[ Case # 9 ]', '9'],
    ['[Case #0042] leading zeros', '42'],
    ['[Case #0]', '0'],
    ['[Case #000]', '0'],
    ['[Case #123456789012345678] 18 digits', '123456789012345678'],
    ['[Case #1] then [Case #2]', '1'],
  ])('%j -> %s', (subject, expected) => {
    expect(caseNumberFromSubject(subject)).toBe(expected);
  });

  it.each([
    ['Re: 【受付番号:1046】 ログインできない', '【受付番号:{number}】', '1046'],
    ['【受付番号：1047】', '【受付番号:{number}】', '1047'],
    ['RE: 【受付番号: 1048】', '【受付番号:{number}】', '1048'],
    ['[お問い合わせ番号: 1049] 請求について', '[お問い合わせ番号:{number}]', '1049'],
    ['Re: [Case #1050] the old tag still reads', '【受付番号:{number}】', '1050'],
  ])("reads the support profile's own tag format: %j with %j", (subject, format, expected) => {
    expect(caseNumberFromSubject(subject, format)).toBe(expected);
  });

  it("reads no other desk's number: only [Case #N] and the profile's own format", () => {
    expect(caseNumberFromSubject('【受付番号:1046】 請求書の件')).toBeNull();
    expect(caseNumberFromSubject('[お問い合わせ番号: 1048]', '【受付番号:{number}】')).toBeNull();
    expect(caseNumberFromSubject('受付番号 1046', '【受付番号:{number}】')).toBeNull();
  });

  it('tells which tag formats replies can be threaded back by', () => {
    expect(isReadableTagFormat('[Case #{number}]')).toBe(true);
    expect(isReadableTagFormat('【受付番号:{number}】')).toBe(true);
    expect(isReadableTagFormat('(Ref {number})')).toBe(true);
    expect(formatCaseTag('【受付番号:{number}】', '1001')).toBe('【受付番号:1001】');
    expect(isReadableTagFormat('#{number}')).toBe(false);
    expect(isReadableTagFormat('[Case]')).toBe(false);
    expect(isReadableTagFormat('{number}')).toBe(false);
    expect(isReadableTagFormat('[2026-{number}]')).toBe(false);
    expect(isReadableTagFormat('[{number}] [{number}]')).toBe(false);
  });

  it('reads a full-width tag typed by a Japanese IME (NFKC)', () => {
    expect(caseNumberFromSubject('Re: ［Ｃａｓｅ ＃１０４２］ ログインできない')).toBe('1042');
  });

  it('reads a tag with an ideographic space inside', () => {
    expect(caseNumberFromSubject('［Ｃａｓｅ\u3000＃１０４３］')).toBe('1043');
  });

  it.each([
    ['Login fails'],
    ['Case #1042'],
    ['[Case 1042]'],
    ['[Case #]'],
    ['[Case #abc]'],
    ['[Case #12a]'],
    ['[Ticket #1042]'],
    ['[Case #1234567890123456789] 19 digits'],
    [''],
  ])('%j has no case number', (subject) => {
    expect(caseNumberFromSubject(subject)).toBe(null);
  });
});

describe('threadCandidates', () => {
  it('puts In-Reply-To first, then References from the newest (last) to the oldest', () => {
    expect(threadCandidates('<c@x>', ['<a@x>', '<b@x>', '<c@x>'])).toEqual(['<c@x>', '<b@x>', '<a@x>']);
  });

  it('orders References newest first when In-Reply-To is missing', () => {
    expect(threadCandidates(null, ['<a@x>', '<b@x>', '<c@x>'])).toEqual(['<c@x>', '<b@x>', '<a@x>']);
  });

  it('keeps In-Reply-To first even when it is not the newest reference', () => {
    expect(threadCandidates('<a@x>', ['<a@x>', '<b@x>'])).toEqual(['<a@x>', '<b@x>']);
  });

  it('drops duplicates, keeping the nearest occurrence', () => {
    expect(threadCandidates('<b@x>', ['<a@x>', '<b@x>', '<a@x>', '<c@x>'])).toEqual([
      '<b@x>',
      '<c@x>',
      '<a@x>',
    ]);
  });

  it('drops empty ids', () => {
    expect(threadCandidates('', ['', '<a@x>'])).toEqual(['<a@x>']);
    expect(threadCandidates(null, [])).toEqual([]);
  });

  it("does not reorder the caller's array", () => {
    const refs = ['<a@x>', '<b@x>'];
    threadCandidates(null, refs);
    expect(refs).toEqual(['<a@x>', '<b@x>']);
  });

  it('returns at most 50 ids, the nearest ones', () => {
    const refs = Array.from({ length: 80 }, (_, i) => `<r${i}@x>`);
    const out = threadCandidates('<irt@x>', refs);
    expect(out).toHaveLength(50);
    expect(out[0]).toBe('<irt@x>');
    expect(out[1]).toBe('<r79@x>');
    expect(out[49]).toBe('<r31@x>');
  });
});

describe('domainOf', () => {
  it.each([
    ['taro@Fabrikam.Example', 'fabrikam.example'],
    ['"a@b"@contoso.example', 'contoso.example'],
    ['no-at-sign', 'no-at-sign'],
  ])('%s -> %s', (address, expected) => {
    expect(domainOf(address)).toBe(expected);
  });
});

describe('subjectTagMayJoin', () => {
  it("lets the case's own contact join", () => {
    expect(
      subjectTagMayJoin({ contactId: 'c1', customerId: null }, { contactId: 'c1', customerId: null }),
    ).toBe(true);
  });

  it('lets another contact of the same customer join', () => {
    expect(
      subjectTagMayJoin({ contactId: 'c2', customerId: 'k1' }, { contactId: 'c1', customerId: 'k1' }),
    ).toBe(true);
  });

  it('refuses a contact of another customer', () => {
    expect(
      subjectTagMayJoin({ contactId: 'c2', customerId: 'k2' }, { contactId: 'c1', customerId: 'k1' }),
    ).toBe(false);
  });

  it('refuses an unknown sender, even on a case that has no customer either', () => {
    expect(
      subjectTagMayJoin({ contactId: 'c2', customerId: null }, { contactId: 'c1', customerId: null }),
    ).toBe(false);
    expect(
      subjectTagMayJoin({ contactId: 'c2', customerId: null }, { contactId: 'c1', customerId: 'k1' }),
    ).toBe(false);
  });

  it("refuses a known customer's contact on a case without a customer", () => {
    expect(
      subjectTagMayJoin({ contactId: 'c2', customerId: 'k1' }, { contactId: 'c1', customerId: null }),
    ).toBe(false);
  });
});
