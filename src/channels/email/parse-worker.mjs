// Runs inside a parse thread: MIME parsing, charset repair, HTML sanitising and reply cutting of one raw mail,
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

export default async function parse({ raw, options }) {
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
