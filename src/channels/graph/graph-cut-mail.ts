import { z } from 'zod';
import type { OmittedPart } from '../../db/schema.js';
import type { GraphClient } from '../../microsoft/graph-client.js';
import { GraphError } from '../../microsoft/graph-errors.js';
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

/** The most of a cut mail's JSON read: its text as Graph converts it may be as long as the mail. */
const cutJsonMaxBytes = 2 * 1024 * 1024;

/** The headers and the text as Graph gives them; a text too long to read leaves the headers alone. */
async function headersAndText(client: GraphClient, messagePath: string, headers: Record<string, string>) {
  try {
    return await client.json(
      `${messagePath}?$select=internetMessageHeaders,body`,
      { headers: { ...headers, prefer: `${headers.prefer ?? ''}, outlook.body-content-type="text"` } },
      cutJsonMaxBytes,
    );
  } catch (err) {
    if (!(err instanceof GraphError && err.code === 'request_refused' && err.status === 200)) throw err;
    return client.json(`${messagePath}?$select=internetMessageHeaders`, { headers }, cutJsonMaxBytes);
  }
}

export async function fetchCutGraphMail(
  client: GraphClient,
  messagePath: string,
  size: number,
  headers: Record<string, string>,
): Promise<{ source: Buffer; cut: { size: number; omittedParts: OmittedPart[] } }> {
  const message = messageSchema.parse(await headersAndText(client, messagePath, headers));
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
