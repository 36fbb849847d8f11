import {
  type CaseStatus,
  type Category,
  caseStatuses,
  categories,
  type Priority,
  priorities,
} from '../vocabulary.js';

// The commands an agent writes on their own lines at the top of a reply. They are read before anything is
// done: one that is not understood stops the whole reply, so a typo never reaches the customer.

export type HandoverTarget = 'microsoft' | 'provider' | 'partner';

export type AgentCommand =
  | { name: 'note' }
  | { name: 'status'; status: CaseStatus }
  | { name: 'priority'; priority: Priority }
  | { name: 'assign'; email: string }
  | { name: 'handover'; target: HandoverTarget; requestNumber: string | null }
  | { name: 'category'; category: Category };

export type ReadCommands =
  | { ok: true; commands: AgentCommand[]; text: string }
  | { ok: false; problems: string[] };

const settable: readonly CaseStatus[] = caseStatuses.filter((s) => s !== 'new');
const targets: readonly HandoverTarget[] = ['microsoft', 'provider', 'partner'];
// A Microsoft service-request number: digits only (16 today, e.g. 2512010040001234).
const requestNumber = /^\d{6,24}$/;
const address = /^[^\s@<>]{1,64}@[^\s@<>]{1,255}$/;

/** One command line (`#status resolved`), or a problem with it. */
function readLine(words: string[]): AgentCommand | string {
  const [head = '', ...args] = words;
  const name = head.toLowerCase();
  const one = (what: string) => (args.length === 1 ? args[0]!.toLowerCase() : `${what}?`);
  switch (name) {
    case 'note':
      return args.length ? '#note takes nothing after it' : { name: 'note' };
    case 'status': {
      const v = one('status');
      return (settable as string[]).includes(v)
        ? { name: 'status', status: v as CaseStatus }
        : `#status must be one of ${settable.join(', ')}`;
    }
    case 'priority': {
      const v = one('priority');
      return (priorities as readonly string[]).includes(v)
        ? { name: 'priority', priority: v as Priority }
        : `#priority must be one of ${priorities.join(', ')}`;
    }
    case 'assign': {
      const v = one('email');
      return address.test(v) ? { name: 'assign', email: v } : '#assign takes one agent email address';
    }
    case 'handover':
      return readHandover(args);
    case 'category': {
      const v = one('category');
      return (categories as readonly string[]).includes(v)
        ? { name: 'category', category: v as Category }
        : `#category must be one of ${categories.join(', ')}`;
    }
    default:
      return `unknown command #${head.slice(0, 40)}`;
  }
}

function readHandover(args: string[]): AgentCommand | string {
  const target = (args[0] ?? '').toLowerCase() as HandoverTarget;
  if (!targets.includes(target)) return `#handover must name one of ${targets.join(', ')}`;
  const number = args[1] ?? null;
  if (args.length > 2 || (number !== null && target !== 'microsoft'))
    return `#handover ${target} takes ${target === 'microsoft' ? 'at most a service request number' : 'nothing more'}`;
  if (number !== null && !requestNumber.test(number))
    return `#handover microsoft: "${number.slice(0, 40)}" is not a Microsoft service request number (digits only)`;
  return { name: 'handover', target, requestNumber: number };
}

/**
 * The commands on the lines at the top of an answer (blank lines between them allowed) and the text under
 * them. `＃` (full width, as Japanese input writes it) counts as `#`. A line starting with `#` followed by a
 * space or a digit is text (`#1 first step`), not a command.
 */
export function readCommands(answer: string): ReadCommands {
  const lines = answer.replace(/\r\n?/g, '\n').split('\n');
  const commands: AgentCommand[] = [];
  const problems: string[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!.normalize('NFKC').trim();
    if (!line) continue;
    const m = /^#([A-Za-z]\S*)(.*)$/.exec(line);
    if (!m) break;
    const read = readLine([m[1]!, ...m[2]!.trim().split(/\s+/).filter(Boolean)]);
    if (typeof read === 'string') problems.push(read);
    else commands.push(read);
  }
  if (problems.length) return { ok: false, problems };
  const seen = new Set<string>();
  for (const c of commands) {
    if (seen.has(c.name)) problems.push(`#${c.name} is given twice`);
    seen.add(c.name);
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, commands, text: lines.slice(i).join('\n').trim() };
}
