import { describe, expect, it } from 'vitest';
import { type ActiveIncident, classify } from '../../src/triage/classify.js';
import { otherSymptom } from '../../src/triage/incident-symptoms.js';
import { microsoftServices } from '../../src/triage/microsoft-services.js';
import { readScope } from '../../src/triage/scope.js';
import { weakAlias } from '../../src/triage/service-catalogue-store.js';
import { builtInCatalogue, discoveredServiceId, ServiceCatalogue } from '../../src/triage/services.js';
import { withoutSignature } from '../../src/triage/signature.js';
import { prepareText } from '../../src/triage/text-match.js';
import { defaultRules } from '../../src/triage/triage-config.js';
import { triageMail } from '../support/triage-sets.js';

const named = (text: string, catalogue = builtInCatalogue) =>
  catalogue.mentioned(prepareText(text)).map((m) => m.id);

// The display names Microsoft 365 service health (healthOverviews) and Azure status give their services.
const serviceHealthNames = [
  'Exchange Online',
  'Microsoft Teams',
  'SharePoint Online',
  'OneDrive for Business',
  'Microsoft Entra',
  'Identity Service',
  'Microsoft Intune',
  'Power BI',
  'Microsoft 365 apps',
  'Office for the web',
  'Microsoft 365 suite',
  'Planner',
  'Microsoft Forms',
  'Microsoft Bookings',
  'Microsoft Copilot (Microsoft 365)',
  'Microsoft Stream',
  'Sway',
  'Power Automate',
  'Power Automate in Microsoft 365',
  'Power Apps',
  'Power Apps in Microsoft 365',
  'Dynamics 365 Apps',
  'Dynamics 365 Business Central',
  'Microsoft Viva',
  'Viva Engage',
  'Microsoft Purview',
  'Microsoft Defender XDR',
  'Microsoft Defender for Endpoint',
  'Microsoft Defender for Office 365',
  'Microsoft Defender for Cloud Apps',
  'Microsoft Defender for Identity',
  'Windows Autopatch',
  'Windows 365',
  'Project for the web',
  'Azure Information Protection',
  'Universal Print',
  'Azure Virtual Desktop',
  'Azure DevOps',
  'Azure App Service',
  'Azure Functions',
  'Microsoft Sentinel',
  'Azure Kubernetes Service',
];

describe('the service catalogue', () => {
  it('gives every alias to one service only', () => {
    for (const def of microsoftServices) {
      for (const alias of [...def.aliases, ...(def.cased ?? [])])
        expect(builtInCatalogue.aliasOwner(alias), `${alias} of ${def.id}`).toBe(def.id);
    }
  });

  it('knows every service service health names, by its own name and by its Graph id', () => {
    for (const name of serviceHealthNames) {
      const entry = builtInCatalogue.forName(name);
      expect(entry, name).not.toBeNull();
      expect(entry?.discovered, name).toBe(false);
    }
    expect(builtInCatalogue.forName('MicrosoftFlow')?.id).toBe('powerautomate');
    expect(builtInCatalogue.forName('OrgLiveID')?.id).toBe('entra');
  });

  it('matches English names as whole words, and everyday words only with their capital', () => {
    expect(named('Our approval workflow in the platforms team')).toEqual([]);
    expect(named('I forgot my password')).toEqual([]);
    expect(named('The Flow that posts to Teams stopped').sort()).toEqual(['powerautomate', 'teams']);
    expect(named('the forms on our website')).toEqual([]);
    expect(named('Forms quiz results are empty')).toEqual(['forms']);
    expect(named('Azure Virtual Desktop sessions drop')).toEqual(['avd']);
    expect(named('mail flow to Gmail is delayed')).toEqual(['exchange']);
  });

  it('matches Japanese names anywhere, full-width and half-width alike', () => {
    expect(named('パワオトのフローが止まりました')).toEqual(['powerautomate']);
    expect(named('ﾌﾟﾗﾝﾅｰが開かない')).toEqual(['planner']);
    expect(named('ディフェンダーの警告')).toEqual(['defender']);
  });

  it('knows a service only an incident names, by that name, with the same id the incident stores', () => {
    const withIt = builtInCatalogue.including(['Contoso Widget Cloud']);
    expect(named('Contoso Widget Cloud is down for all', withIt)).toEqual([
      discoveredServiceId('Contoso Widget Cloud'),
    ]);
    expect(named('Widget Cloud is down for all', withIt)).toEqual([]);
    expect(builtInCatalogue.including(['Contoso Widget Cloud'])).toBe(withIt);
  });

  it('takes a name that only mentions a service for a service of its own, and a one-word name for none', () => {
    expect(builtInCatalogue.forName('Microsoft Teams Rooms Pro')).toBeNull();
    const withRooms = builtInCatalogue.including(['Microsoft Teams Rooms Pro', 'Mail']);
    expect(named('Teams is down: nobody can join', withRooms)).toEqual(['teams']);
    expect(named('Microsoft Teams Rooms Pro consoles are offline', withRooms)).toEqual([
      discoveredServiceId('Microsoft Teams Rooms Pro'),
    ]);
    expect(named('Mail to one external partner is not arriving', withRooms)).toEqual([]);
  });

  it('lets an admin alias win over a service an incident names', () => {
    const c = new ServiceCatalogue(
      microsoftServices,
      [{ serviceId: 'exchange', alias: 'shared inbox' }],
      ['Shared Inbox'],
    );
    expect(named('the shared inbox is empty', c)).toEqual(['exchange']);
  });

  it('refuses aliases that would match every message or never', () => {
    expect(weakAlias('the')).toMatch(/too common/);
    expect(weakAlias('ー')).toMatch(/2 Japanese/);
    expect(weakAlias('!!')).toMatch(/letters or digits/);
    expect(weakAlias('メ')).toMatch(/2 Japanese/);
    expect(weakAlias('ab')).toMatch(/3 letters/);
    expect(weakAlias('one two three four five six seven')).toMatch(/6 words/);
    expect(weakAlias('タスクボード')).toBeNull();
    expect(weakAlias('Flow bot')).toBeNull();
  });

  it('takes an alias an admin adds, and none that another service already has', () => {
    const c = new ServiceCatalogue(microsoftServices, [
      { serviceId: 'planner', alias: 'タスクボード' },
      { serviceId: 'planner', alias: 'outlook' },
    ]);
    expect(named('タスクボードが開きません', c)).toEqual(['planner']);
    expect(named('outlook', c)).toEqual(['exchange']);
    expect(c.byServiceId('planner')?.custom).toEqual(['タスクボード']);
  });
});

describe('who is affected', () => {
  const scope = (t: string) => readScope(prepareText(t)).scope;
  it('reads one user, some users, everyone and several tenants in ja and en', () => {
    expect(scope('A few people in our company cannot join Teams meetings')).toBe('some');
    expect(scope('経理部の3名だけエラーになります。他のメンバー(5名)は問題なく使えています。')).toBe('some');
    expect(scope('Only my laptop shows this')).toBe('one');
    expect(scope('Nobody in the company can sign in')).toBe('everyone');
    expect(scope('全社で使えません')).toBe('everyone');
    expect(scope('All 200 devices show blank, one still works')).toBe('everyone');
    expect(scope('Two other companies in our user group see the same')).toBe('tenants');
    expect(scope('Teams is slow')).toBe('unknown');
  });

  const run = (subject: string, body: string) => triageMail(subject, body);

  it('keeps a few users for the partner and hands over a service-wide outage', () => {
    const few = run(
      'Teams meetings',
      'A few people in our company cannot join Teams meetings since this morning.',
    );
    expect([few.category, few.handling]).toEqual(['configuration', 'partner']);
    const all = run('Teams meetings', 'Nobody in our company can join Teams meetings since this morning.');
    expect([all.category, all.handling]).toEqual(['ms_service_unavailable', 'microsoft']);
    expect(all.steps.find((s) => s.step === 'scope')?.result).toBe('everyone');
  });

  it('triages a contact that asks two things by the part that needs Microsoft, and names the other part', () => {
    const c = run(
      'Two things',
      'Please add 3 more Microsoft 365 E3 licences for our new starters.\nAlso, Windows 365 is down for everyone: no Cloud PC connects since 9:00.',
    );
    expect([c.category, c.handling]).toEqual(['ms_service_unavailable', 'microsoft']);
    expect(c.tags).toContain('partner-part:billing_subscription');
    expect(c.steps.find((s) => s.step === 'mixed')?.reason).toMatch(/licences/);
    // A trouble that started last week is still a trouble now; only a past one is left out.
    const since = run(
      'Licences',
      'Please add 3 more Microsoft 365 E3 licences.\nSince last week nobody in the company can connect to Windows 365.',
    );
    expect(since.category).toBe('ms_service_unavailable');
    const past = run(
      'Licences',
      "Please add 3 more Microsoft 365 E3 licences.\nLast week's Windows 365 outage was on Microsoft's end, nobody could connect.",
    );
    expect(past.category).toBe('billing_subscription');
    const only = run('Licences', 'Please add 3 more Microsoft 365 E3 licences for our new starters.');
    expect(only.category).toBe('billing_subscription');
    expect(only.tags).not.toContain('partner-part:billing_subscription');
  });

  it("tells another symptom of an incident's service from the incident", () => {
    const meetings: ActiveIncident = {
      id: 'TM654321',
      serviceId: 'teams',
      service: 'Microsoft Teams',
      title: 'Users may be unable to join meetings',
      status: 'investigating',
      updatedAt: new Date('2026-12-07T00:00:00Z'),
      link: null,
    };
    const withIncident = (subject: string, body: string) =>
      classify({
        subject,
        body,
        channel: 'email',
        locale: 'ja',
        customer: { id: 'c', relationship: 'direct', planId: null },
        verified: true,
        withinHours: true,
        incidents: [meetings],
        rules: defaultRules(),
      });
    const join = withIncident('Teams 会議', '今朝から全社で Teams の会議に参加できません。');
    expect(join.tags).toContain('incident:TM654321');
    const chat = withIncident(
      'Teams チャット',
      '今朝から全社で Teams のチャットで画像が送れません。会議は問題ありません。',
    );
    expect(chat.tags).not.toContain('incident:TM654321');
    expect(chat.steps.find((s) => s.step === 'health')?.reason).toMatch(
      /TM654321 is about meetings; the text about chat/,
    );
    // "Outlook" holds "ok" and "networks" holds "works": neither says a part works.
    expect(otherSymptom('Users cannot send mail', 'Outlook の会議の予定表が開けません。')).toEqual({
      incident: ['mail delivery'],
      text: ['meetings', 'calendar'],
    });
  });

  it('reads no rule in a signature', () => {
    expect(
      withoutSignature('App Service returns HTTP 500s.\n\nRegards,\nSinead Byrne\nLiffey Payments'),
    ).toBe('App Service returns HTTP 500s.\n');
    expect(withoutSignature('Regards to the team, the app is down.')).toBe(
      'Regards to the team, the app is down.',
    );
    expect(withoutSignature('Hi,\nThanks\nTeams is down for everyone since 9:00.')).toBe(
      'Hi,\nThanks\nTeams is down for everyone since 9:00.',
    );
  });
});
