// Runs inside a parse thread: MIME parsing, charset repair, HTML sanitising and reply cutting of one raw mail,
// away from the thread that serves HTTP, chat and the queues. The parent bounds its time and heap.
import { register } from 'tsx/esm/api';

register();
const { normaliseMail, UnparseableMailError } = await import('./normalise-mail.ts');

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
