import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Logger } from './logger.js';
import { startHttpRole } from './runtime/http-role.js';
import { startIntakeRole } from './runtime/intake-role.js';
import { startSharedServices } from './runtime/shared-services.js';
import { ShutdownStack } from './runtime/shutdown-stack.js';
import { startWorkerRole, type WorkerRoleOptions } from './runtime/worker-role.js';
import { type RouteSummary, registeredRoutes } from './server.js';

export interface Runtime {
  /** Base URL of the HTTP server, when this role serves HTTP. */
  url: string | null;
  db: Db;
  /** The HTTP routes this process serves (empty without HTTP). */
  routes: RouteSummary[];
  stop(): Promise<void>;
}

export type RuntimeOptions = WorkerRoleOptions;

/**
 * Wires one process for its role: HTTP and the chat gateway (api), queue consumers (worker), mailbox pull
 * (intake), or all three. The shared services come first, then the roles in this order, so that shutdown
 * (the reverse) stops the intake, then the workers, then the gateway and the HTTP server, then the
 * queues, the database and Redis.
 */
export async function startRuntime(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const stops = new ShutdownStack(logger);
  try {
    const shared = await startSharedServices(config, logger, stops);
    const role = config.role;
    const http = role === 'all' || role === 'api' ? await startHttpRole(shared, config, logger, stops) : null;
    if (role === 'all' || role === 'worker') startWorkerRole(shared, config, logger, stops, options);
    if (role === 'all' || role === 'intake') startIntakeRole(shared, config, logger, stops);
    return {
      url: http?.url ?? null,
      db: shared.db,
      routes: http ? registeredRoutes(http.app) : [],
      stop: () => stops.stop(),
    };
  } catch (err) {
    await stops.stop();
    throw err;
  }
}
