import { defaultRules } from './src/triage/triage-config.js';
import { readSet, classifyContact } from './test/support/triage-sets.js';
const [file, id] = process.argv.slice(2);
const set = readSet(file!);
const c = set.contacts.find((x) => x.id === id)!;
const r = classifyContact(c, set.incidents, defaultRules());
console.log(JSON.stringify(r.steps, null, 1));
