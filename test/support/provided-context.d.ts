import type { DovecotConnectionInfo } from './dovecot.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's Dovecot (integration project only), started by test/support/global-setup.ts. */
    dovecot: DovecotConnectionInfo;
  }
}
