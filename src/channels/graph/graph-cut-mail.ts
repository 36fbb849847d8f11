import { z } from 'zod';
import type { OmittedPart } from '../../db/schema.js';
import type { GraphClient } from '../../microsoft/graph-client.js';
import { headerSafe } from '../email/header-safe.js';
import { cutSource, firstTextMaxBytes } from '../email/oversized-mail.js';

// A Graph mail larger than MAIL_MAX_BYTES is never read whole: its internet headers and its body as text
// (Graph converts HTML) open its case, cut at a bounded length; the attachments are listed by name and size
// and stay in the mailbox.

const headerName = /^[!-9;-~]{1,100}$/;

const messageSchema = z.looseObject({
  internetMessageHeaders: z
    .array(z.looseObject({ name: z.string(), value: z.string() }))
    .max(1000)
    .optional(),
  body: z.looseObject({ content: z.string() }).optional(),
});
const attachmentsSchema = z.looseObject({
  value: z
    .array(
      z.looseObject({
        name: z.string().nullish(),
        contentType: z.string().nullish(),
        size: z.number().nullish(),
      }),
    )
    .max(1000),
});

/** The mail's headers as one header section, every value on one line. */
function headerSection(headers: Array<{ name: string; value: string }>): Buffer {
  const lines = headers
    .filter((h) => headerName.test(h.name))
    .map((h) => `${h.name}: ${headerSafe(h.value, 4000)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

export async function fetchCutGraphMail(
  client: GraphClient,
  messagePath: string,
  size: number,
  headers: Record<string, string>,
): Promise<{ source: Buffer; cut: { size: number; omittedParts: OmittedPart[] } }> {
  const message = messageSchema.parse(
    await client.json(`${messagePath}?$select=internetMessageHeaders,body`, {
      headers: { ...headers, prefer: `${headers.prefer ?? ''}, outlook.body-content-type="text"` },
    }),
  );
  const attachments = attachmentsSchema.parse(
    await client.json(`${messagePath}/attachments?$select=name,contentType,size&$top=1000`, { headers }),
  );
  const text = Buffer.from(message.body?.content ?? '', 'utf8')
    .subarray(0, firstTextMaxBytes)
    .toString('utf8');
  const omittedParts = attachments.value.map((a, i) => ({
    filename: (a.name ?? `part ${i + 2}`).slice(0, 255),
    contentType: (a.contentType ?? 'application/octet-stream').toLowerCase().slice(0, 255),
    size: a.size ?? 0,
  }));
  return {
    source: cutSource(headerSection(message.internetMessageHeaders ?? []), text, 'text/plain'),
    cut: { size, omittedParts },
  };
}
