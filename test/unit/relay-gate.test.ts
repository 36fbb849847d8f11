import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RelayGate } from '../../src/replies/relay-gate.js';

function gate() {
  let now = 1_000_000;
  const reports: Array<[string, string]> = [];
  const logs: Array<{ level: number; msg: string }> = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  const g = new RelayGate({
    logger,
    health: { report: async (part, state) => void reports.push([part, state]) },
    probeEveryMs: 5_000,
    now: () => now,
    random: () => 0,
  });
  return { g, reports, logs, advance: (ms: number) => (now += ms) };
}

describe('RelayGate: pausing sends while the relay is out', () => {
  it('lets every send through while the relay works', () => {
    const { g } = gate();
    expect(g.admit()).toEqual({ go: true, probe: false });
    expect(g.admit()).toEqual({ go: true, probe: false });
  });

  it('after an outage, holds every send but one probe every few seconds, and logs once per change', () => {
    const { g, reports, logs, advance } = gate();
    const first = g.admit();
    expect(g.failed(first, 'relay_auth_failed')).toBe(5_000);
    // Sends that were already in flight fail the same way: no new line, no new report.
    g.failed(g.admit(), 'relay_auth_failed');
    expect(logs.filter((l) => l.level === 50)).toHaveLength(1);
    expect(reports).toEqual([['smtp', 'relay_auth_failed']]);

    const waiting = g.admit();
    expect(waiting.go).toBe(false);
    advance(5_000);
    const probe = g.admit();
    expect(probe).toEqual({ go: true, probe: true });
    // While the probe runs, nobody else goes.
    expect(g.admit().go).toBe(false);
    g.failed(probe, 'relay_auth_failed');
    expect(g.admit().go).toBe(false);
    expect(logs.filter((l) => l.level === 50)).toHaveLength(1);

    advance(5_000);
    const probe2 = g.admit();
    expect(probe2).toEqual({ go: true, probe: true });
    g.passed(probe2);
    expect(g.admit()).toEqual({ go: true, probe: false });
    expect(reports).toEqual([
      ['smtp', 'relay_auth_failed'],
      ['smtp', 'ok'],
    ]);
    expect(logs.map((l) => l.msg)).toEqual([
      'relay unusable: sending paused',
      'relay works again: sending resumed',
    ]);
  });

  it('a new kind of outage is a new line; a probe that ends without a word frees the slot', () => {
    const { g, logs, advance } = gate();
    g.failed(g.admit(), 'relay_auth_failed');
    advance(5_000);
    const probe = g.admit();
    g.release(probe);
    expect(g.admit()).toEqual({ go: true, probe: true });
    g.failed({ go: true, probe: true }, 'relay_unreachable');
    expect(g.current).toBe('relay_unreachable');
    expect(logs.filter((l) => l.level === 50)).toHaveLength(2);
  });

  it('a probe that never returns does not hold the gate for ever', () => {
    const { g, advance } = gate();
    g.failed(g.admit(), 'relay_unreachable');
    advance(5_000);
    expect(g.admit()).toEqual({ go: true, probe: true });
    advance(30_000);
    expect(g.admit().go).toBe(false);
    advance(40_000);
    expect(g.admit()).toEqual({ go: true, probe: true });
  });
});
