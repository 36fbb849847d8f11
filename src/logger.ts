import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * One root logger per process; units of work take a child with component, jobId and caseNumber. Lines go to
 * stdout unless a destination is given (tests read them there).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
