import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { ShutdownStack } from '../../src/runtime/shutdown-stack.js';

// The process stops what it started in the reverse order (workers before the queues and the database, the
// chat gateway before the HTTP server); one stop that fails must not keep the rest from running.

describe('shutdown stack', () => {
  it('stops in the reverse order, once, and goes on past a failing stop', async () => {
    const stops = new ShutdownStack(createLogger('silent'));
    const ran: string[] = [];
    stops.push(() => void ran.push('database'));
    stops.push(async () => {
      ran.push('http server');
      throw new Error('already closed');
    });
    stops.push(async () => void ran.push('chat gateway'));
    stops.push(() => void ran.push('workers'));
    await Promise.all([stops.stop(), stops.stop()]);
    await stops.stop();
    expect(ran).toEqual(['workers', 'chat gateway', 'http server', 'database']);
  });
});
