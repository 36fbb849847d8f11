import { firstKeyword, type MatchText } from './text-match.js';

// Who is affected, as the customer says it: one user or device, some users, everyone in the tenant, or
// several tenants (other companies too). Triage weighs it before handing over: "a few people cannot join
// meetings" is the partner's own troubleshooting, "nobody can" may be Microsoft's. When the customer says
// the others are fine, it is at most "some"; otherwise the widest scope named wins ("all 200 devices show
// blank, one still works" is everyone).

export const scopes = ['one', 'some', 'everyone', 'tenants', 'unknown'] as const;
export type Scope = (typeof scopes)[number];

export interface ScopeReading {
  scope: Scope;
  /** The words that decided it. */
  matched: string[];
}

const tenants = [
  '複数のテナント',
  '複数テナント',
  '他のテナント',
  '他テナント',
  '別テナント',
  'テナントが別',
  '他社',
  '他の企業',
  '他の会社',
  '別の会社',
  'グループ各社',
  '子会社',
  '会員企業',
  'other tenants',
  'several tenants',
  'multiple tenants',
  'separate tenants',
  'each tenant',
  'customer tenants',
  'other companies',
  'other firms',
  'other organisations',
  'other organizations',
  'other businesses',
  'several companies',
  'sister companies',
  'subsidiaries',
  'not just us',
  'bigger than just us',
];

const everyone = [
  '全社',
  '全員',
  '全ユーザー',
  '全社員',
  '社員全員',
  '誰も',
  'だれも',
  '全拠点',
  '会社全体',
  '社内全体',
  '全端末',
  '全台',
  '全部',
  '全てのユーザー',
  'すべてのユーザー',
  '全ての社員',
  'すべての社員',
  'すべての端末',
  '全ての端末',
  'どの端末',
  'どのpc',
  'everyone',
  'everybody',
  'every user',
  'every device',
  'every one of',
  'all users',
  'all our users',
  'all of our users',
  'all staff',
  'all our staff',
  'all devices',
  'all of us',
  'whole company',
  'entire company',
  'whole org',
  'entire org',
  'company-wide',
  'company wide',
  'tenant-wide',
  'tenant wide',
  'organization-wide',
  'organisation-wide',
  'nobody',
  'no one',
  'none of us',
  'for anyone',
  'every organiser',
  'every organizer',
  'みんな',
];
const everyoneCount =
  /(?:^|[^a-z])all (?:of (?:our |the )?)?\d{1,6}|全\d{1,6}(?:名|人|台)|(?<!\d)\d{1,6}(?:名|人|台)(?:全員|すべて|全て)/;

const some = [
  '一部のユーザー',
  '一部の社員',
  '一部の端末',
  '一部のメンバー',
  '一部メンバー',
  '一部の',
  '数名',
  '数人',
  '何人か',
  '何名か',
  '特定のユーザー',
  '特定の社員',
  'some users',
  'some of our',
  'some people',
  'some staff',
  'a few users',
  'a few people',
  'a few of',
  'a couple of users',
  'a handful',
  'certain users',
  'several users',
  'several people',
  'a couple of us',
  'couple of us',
  'two of our',
  'two of them',
];
const someCount =
  /(?:^|[^\d])[2-9](?:名|人|台)(?:だけ|のみ)|(?:^|[^a-z\d])(?:two|three|four|five|[2-9]) (?:users|people|staff|members|of our)/;

const one = [
  '1人だけ',
  '一人だけ',
  '1名だけ',
  '1名のみ',
  '一名',
  '1台だけ',
  '一台だけ',
  'のpcだけ',
  'のパソコンだけ',
  '本人だけ',
  'one user',
  'one of our users',
  'a single user',
  'only one user',
  'one laptop',
  'one pc',
  'one device',
  'only for me',
  'my laptop',
  'my pc',
  '私だけ',
  '自分だけ',
  '僕だけ',
  '俺だけ',
  'one mailbox',
  'one account',
  'one machine',
  'one computer',
  '1台のみ',
  '1人のみ',
  'さんだけ',
  'さんのみ',
  'くんだけ',
];

// "only me", not "only meetings".
const oneSaid = /(?:^|[^a-z])(?:only|just) (?:me|myself)(?![a-z])/;

const othersFine = [
  '他のメンバーは問題なく',
  '他の社員は問題なく',
  '他のユーザーは問題なく',
  'ほかのユーザーは問題なく',
  '他の人は問題',
  'ほかの人は問題',
  '他のpcは',
  'ほかのpcは',
  '他の端末は',
  'ほかの端末は',
  '他の社員は',
  'ほかの社員は',
  'everyone else',
  'others are fine',
  'other users are',
  'the others are',
  'the other users',
  'rest of the team',
  'rest of us',
  'my colleagues are',
  'colleagues are fine',
  'the rest of',
  'went through fine',
  'everyone else joins',
  '隣の席の人は',
  '社員は問題なく',
  '他の部署は',
  'ほかの部署は',
  'ほかの人は',
  '他の人は',
  'ほかのみんなは',
];
const othersCount =
  /the other \d{1,6}|他の(?:メンバー|社員|ユーザー)?[(（]?\d{1,6}|the others? (?:[a-z]+ ){0,3}(?:fine|ok|normally|as usual)/;

function found(text: MatchText, words: readonly string[], count?: RegExp): string | null {
  const word = firstKeyword(text, words);
  if (word) return word;
  const m = count?.exec(text.plain);
  return m ? m[0].trim() : null;
}

// The counts are bounded (\d{1,6}) and anchored, so a run of digits is read once, not from each position.

export function readScope(text: MatchText): ScopeReading {
  const fine = found(text, othersFine, othersCount);
  if (fine) {
    const o = found(text, one, oneSaid);
    if (o) return { scope: 'one', matched: [o, fine] };
    const s = found(text, some, someCount);
    return { scope: 'some', matched: s ? [s, fine] : [fine] };
  }
  const readings: Array<[Scope, readonly string[], RegExp | undefined]> = [
    ['tenants', tenants, undefined],
    ['everyone', everyone, everyoneCount],
    ['some', some, someCount],
    ['one', one, oneSaid],
  ];
  for (const [scope, words, count] of readings) {
    const word = found(text, words, count);
    if (word) return { scope, matched: [word] };
  }
  return { scope: 'unknown', matched: [] };
}
