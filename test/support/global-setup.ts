import type { TestProject } from 'vitest/node';
import { startDovecot } from './dovecot.js';

/**
 * globalSetup of the integration project: one Dovecot for the whole run.
 * Tests read it with `inject('dovecot')` and create their own folder with createTestMailbox().
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const dovecot = await startDovecot();
  if (process.env.HARNESS_DEBUG) {
    console.log(
      `dovecot on ${dovecot.host}:${dovecot.port} in ${Math.round(performance.now() - started)} ms`,
    );
  }
  project.provide('dovecot', {
    host: dovecot.host,
    port: dovecot.port,
    user: dovecot.user,
    password: dovecot.password,
  });
  return () => dovecot.stop();
}
