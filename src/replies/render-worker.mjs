// Runs inside a worker thread: the only place Liquid templates are parsed and rendered. The parent kills this
// thread when a render takes too long, and caps its heap, so an admin's template cannot hang or bloat a worker.
import { parentPort } from 'node:worker_threads';
import { Liquid } from 'liquidjs';

const engine = new Liquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  // An in-memory file system with nothing in it: {% include %} and {% render %} find no file on disk.
  templates: {},
  relativeReference: false,
  parseLimit: 100_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
  cache: 200,
  greedy: false,
});

parentPort.on('message', (job) => {
  const { id, parts, context } = job;
  try {
    const out = {};
    for (const [name, source] of Object.entries(parts)) {
      out[name] = engine.parseAndRenderSync(source, context);
    }
    parentPort.postMessage({ id, ok: true, out });
  } catch (err) {
    parentPort.postMessage({
      id,
      ok: false,
      name: err?.name ?? 'Error',
      message: String(err?.message ?? err),
    });
  }
});
