import { pino } from 'pino';

export type Logger = pino.Logger;

/** One root logger per process; units of work take a child with component, jobId and caseNumber. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}
