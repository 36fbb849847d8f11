import { ConfigError, configFromProcess } from './config.js';
import { createLogger } from './logger.js';
import { startRuntime } from './runtime.js';

// The process entry point for every role (ROLE=all by default; workers/ hold per-role shortcuts).

async function main(): Promise<void> {
  let config: ReturnType<typeof configFromProcess>;
  try {
    config = configFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`configuration error: ${p}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let runtime: Awaited<ReturnType<typeof startRuntime>>;
  try {
    runtime = await startRuntime(config, logger);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    logger.fatal({ code: e.code, err }, 'start-up failed');
    process.stderr.write(`start-up failed: ${e.message ?? String(err)}\n`);
    process.exit(1);
  }
  logger.info({ role: config.role }, 'started');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    runtime.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
