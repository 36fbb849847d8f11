import { defaultRules } from './src/triage/triage-config.js';
import { readSet, scoreSet } from './test/support/triage-sets.js';
const rules = defaultRules();
const verbose = process.argv.includes('-v');
for (const f of process.argv.slice(2).filter((a) => a !== '-v')) {
  const s = scoreSet(readSet(f), rules);
  console.log(verbose ? s.report : s.report.split('\n').find((l) => l.includes(': both')));
}
