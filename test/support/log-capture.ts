import type { DestinationStream } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface LogCapture {
  /** A pino destination: hand it to createLogger. */
  destination: DestinationStream;
  /** Every line logged so far, parsed. */
  lines: LogLine[];
  /** The raw text logged so far (to check that a secret never appears). */
  text(): string;
}

/** Collects a logger's lines in memory so a test can wait for one and count them. */
export function captureLogs(): LogCapture {
  const lines: LogLine[] = [];
  let raw = '';
  return {
    destination: {
      write(chunk: string) {
        raw += chunk;
        for (const line of chunk.split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      },
    },
    lines,
    text: () => raw,
  };
}
