import { afterAll, describe, expect, it } from 'vitest';
import type { Verdicts } from '../../src/triage/judge.js';
import { createJudges, JudgesOverloaded, judgesOnThisThread } from '../../src/triage/judge-threads.js';
import { LearnedOpinion, opinionText } from '../../src/triage/learned-opinion.js';
import { builtInOpinion } from '../../src/triage/learned-opinion-store.js';
import { microsoftServices } from '../../src/triage/microsoft-services.js';
import { discoveredServiceId, ServiceCatalogue } from '../../src/triage/services.js';
import { prepareText } from '../../src/triage/text-match.js';
import { defaultRules } from '../../src/triage/triage-config.js';
import { contactInput, readSet } from '../support/triage-sets.js';

// A dry run classifies on threads: what a thread makes of each contact must be what the calling thread makes
// of it, with the reading (an admin's alias, a service only an incident named, the learned opinion) sent over
// as plain data.

const sets = Array.from({ length: 14 }, (_, i) => readSet(`contacts-${i + 1}.json`));
const contacts = sets.flatMap((s) => s.contacts.map((c) => contactInput(c, s.incidents)));
const catalogue = new ServiceCatalogue(
  microsoftServices,
  [{ serviceId: 'exchange', alias: 'ブラウザメール' }],
  ['Contoso Widgets Cloud'],
);
const opinion = builtInOpinion();
const current = defaultRules();
const proposed = defaultRules().filter((r) => r.id !== 'billing-subscription');

describe('dry-run threads', () => {
  const failures: Error[] = [];
  const judges = createJudges({ threads: 2, onFallback: (err) => failures.push(err) });
  afterAll(() => judges.close());

  it('carries the opinion and the catalogue as plain data, weighing and naming alike', () => {
    const copy = LearnedOpinion.fromParts(structuredClone(opinion.parts));
    for (const c of contacts.slice(0, 120)) {
      const text = opinionText(c.subject, c.body);
      expect(copy.weigh(text)).toEqual(opinion.weigh(text));
    }
    const source = structuredClone(catalogue.source);
    const again = new ServiceCatalogue(source.definitions, source.customAliases, source.discoveredNames);
    const text = prepareText('ブラウザメールと Contoso Widgets Cloud と Teams が使えません');
    expect(again.mentioned(text)).toEqual(catalogue.mentioned(text));
    expect(
      again
        .mentioned(text)
        .map((m) => m.id)
        .sort(),
    ).toEqual(['exchange', discoveredServiceId('Contoso Widgets Cloud'), 'teams'].sort());
  });

  it('gives every contact the verdicts the calling thread gives it, in order', async () => {
    const reading = { catalogue, opinion };
    const here = await judgesOnThisThread.judgeAll(contacts, current, proposed, reading);
    const there = await judges.judgeAll(contacts, current, proposed, reading);
    expect(failures).toEqual([]);
    expect(there).toHaveLength(contacts.length);
    expect(there).toEqual(here);
    // Not a trivial agreement: the proposed rules move some contacts, and the opinion decides others.
    const moved = here.filter(([a, b]: Verdicts) => a.category !== b.category);
    expect(moved.length).toBeGreaterThan(0);
    const withoutOpinion = await judges.judgeAll(contacts, current, proposed, { catalogue, opinion: null });
    expect(withoutOpinion).not.toEqual(there);
    expect(withoutOpinion).toEqual(
      await judgesOnThisThread.judgeAll(contacts, current, proposed, { catalogue }),
    );
    expect(failures).toEqual([]);
  });

  it('fails a dry run whose share runs past the time limit, rather than judging it all here', async () => {
    const said: Error[] = [];
    const hasty = createJudges({ threads: 1, timeLimitMs: 1, onFallback: (err) => said.push(err) });
    try {
      const err = await hasty.judgeAll(contacts, current, proposed, { opinion }).catch((e) => e);
      expect(err).toBeInstanceOf(JudgesOverloaded);
      expect(err.message).toMatch(/ran a dry-run thread out of memory or past 0.001 s/);
      expect(said).toEqual([]);
    } finally {
      await hasty.close();
    }
  });

  it('judges a share on the calling thread when its thread cannot run, and says so', async () => {
    const said: Error[] = [];
    const broken = createJudges({ threads: 2, onFallback: (err) => said.push(err) });
    try {
      // A rule set a thread cannot receive (a function does not survive structured clone).
      const odd = current.map((r, i) => (i === 0 ? { ...r, note: () => 0 } : r));
      const verdicts = await broken.judgeAll(contacts, current, odd, { opinion });
      expect(verdicts).toEqual(await judgesOnThisThread.judgeAll(contacts, current, current, { opinion }));
      expect(said.length).toBeGreaterThan(0);
    } finally {
      await broken.close();
    }
  });

  it('gives the current verdict twice when the proposed rules are the current ones', async () => {
    const there = await judges.judgeAll(contacts, current, current, { opinion });
    expect(failures).toEqual([]);
    expect(there.every(([a, b]) => a === b || JSON.stringify(a) === JSON.stringify(b))).toBe(true);
  });
});
