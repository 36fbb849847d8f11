import { describe, expect, it } from 'vitest';
import { readCommands } from '../../src/agents/commands.js';

describe('readCommands', () => {
  it('reads no commands from plain text and keeps it whole', () => {
    expect(readCommands('Please restart Outlook.\n#note is not a command here')).toEqual({
      ok: true,
      commands: [],
      text: 'Please restart Outlook.\n#note is not a command here',
    });
  });

  it('reads several commands at the top, blank lines between them, and the text under them', () => {
    const r = readCommands(
      '#status resolved\n\n#priority HIGH\n＃assign Kato@Partner.example\nThe fix is rolled out.',
    );
    expect(r).toEqual({
      ok: true,
      commands: [
        { name: 'status', status: 'resolved' },
        { name: 'priority', priority: 'high' },
        { name: 'assign', email: 'kato@partner.example' },
      ],
      text: 'The fix is rolled out.',
    });
  });

  it('reads #note alone, and a hand-over to Microsoft with its service request number', () => {
    expect(readCommands('#note\ncalled the customer')).toMatchObject({
      ok: true,
      commands: [{ name: 'note' }],
      text: 'called the customer',
    });
    expect(readCommands('#handover microsoft 2512010040001234')).toEqual({
      ok: true,
      commands: [{ name: 'handover', target: 'microsoft', requestNumber: '2512010040001234' }],
      text: '',
    });
    expect(readCommands('#handover provider')).toMatchObject({
      ok: true,
      commands: [{ name: 'handover', target: 'provider', requestNumber: null }],
    });
  });

  it('refuses unknown commands, bad values and repeats, naming each problem', () => {
    expect(readCommands('#stauts resolved\nHello')).toEqual({
      ok: false,
      problems: ['unknown command #stauts'],
    });
    expect(readCommands('#status done')).toMatchObject({ ok: false });
    expect(readCommands('#status new')).toMatchObject({ ok: false });
    expect(readCommands('#priority')).toMatchObject({ ok: false });
    expect(readCommands('#assign someone')).toMatchObject({ ok: false });
    expect(readCommands('#handover microsoft SR-12')).toMatchObject({ ok: false });
    expect(readCommands('#handover provider 123456')).toMatchObject({ ok: false });
    expect(readCommands('#handover google')).toMatchObject({ ok: false });
    expect(readCommands('#note please')).toMatchObject({ ok: false });
    expect(readCommands('#status open\n#status resolved')).toEqual({
      ok: false,
      problems: ['#status is given twice'],
    });
  });

  it('takes "#1" or "# heading" as text, not as a command', () => {
    expect(readCommands('#1 restart\n#2 sign in')).toMatchObject({ ok: true, commands: [] });
    expect(readCommands('# Steps')).toMatchObject({ ok: true, commands: [], text: '# Steps' });
  });
});
