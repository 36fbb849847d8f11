// Runs inside a parse thread: MIME parsing, charset repair, HTML sanitising and reply cutting of raw mails,
// away from the thread that serves HTTP, chat and the queues. The parent bounds its time and heap.
import { existsSync } from 'node:fs';

// Compiled (build/, the container image): the JavaScript beside this file. From the sources: through tsx.
const compiled = new URL('./normalise-mail.js', import.meta.url);
let module_;
if (existsSync(compiled)) module_ = await import(compiled.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  module_ = await import('./normalise-mail.ts');
}
const { normaliseMail, UnparseableMailError } = module_;

/** One mail (`raw`), or the mails of a batch (`raws`) parsed one after another in one hand-over. */
export default async function parse({ raw, raws, options }) {
  if (!raws) return parseOne(raw, options);
  const answers = [];
  for (const r of raws) {
    try {
      answers.push(await parseOne(r, options));
    } catch (err) {
      // Not a verdict on the mail: the parent retries it on its own.
      answers.push({ ok: 'error', message: String(err?.message ?? err) });
    }
  }
  return answers;
}

async function parseOne(raw, options) {
  try {
    return {
      ok: true,
      mail: await normaliseMail(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), options),
    };
  } catch (err) {
    if (err instanceof UnparseableMailError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}
