// Runs inside a dry-run thread: classifies a share of a dry run's contacts with the current and the proposed
// rules (see judge.ts), away from the thread that serves HTTP, chat and the queues.
import { existsSync } from 'node:fs';

// Compiled (build/, the container image): the JavaScript beside this file. From the sources: through tsx.
const compiled = new URL('./judge.js', import.meta.url);
let module_;
if (existsSync(compiled)) module_ = await import(compiled.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  module_ = await import('./judge.ts');
}

export default module_.judgeTask;
