// What of a mail's attachments is kept: each one up to its own limit, and all of them together up to the
// per-mail limit, in the order they come. What is not kept is still listed, by name and size, with the reason.

export interface AttachmentIn {
  size: number;
}

export interface AttachmentLimits {
  perAttachment: number;
  perMail: number;
}

/** For each attachment, null to keep its content, or why it was left out. */
export function attachmentOmissions(
  list: readonly AttachmentIn[],
  limits: AttachmentLimits,
): Array<string | null> {
  let kept = 0;
  return list.map(({ size }) => {
    if (size > limits.perAttachment) return `larger than ${limits.perAttachment} bytes`;
    if (kept + size > limits.perMail)
      return `attachments of this mail over ${limits.perMail} bytes in total (ATTACHMENTS_MAX_BYTES_PER_MAIL)`;
    kept += size;
    return null;
  });
}
