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

/** Parse problems (with line and column) and the variables each part reads, for the template lint. */
function analyze(parts) {
  const problems = [];
  const variables = [];
  for (const [part, source] of Object.entries(parts)) {
    let analysis;
    try {
      // {% render %}, {% include %} and {% layout %} name files, and there are none: analysis throws.
      analysis = engine.analyzeSync(engine.parse(source));
    } catch (err) {
      const [line, column] = err?.token?.getPosition?.() ?? [null, null];
      problems.push({
        part,
        line,
        column,
        message: String(err?.message ?? err).replace(/, line:\d+, col:\d+$/, ''),
      });
      continue;
    }
    for (const list of Object.values(analysis.globals)) {
      for (const v of list)
        variables.push({ part, path: v.segments, line: v.location.row, column: v.location.col });
    }
  }
  return { problems, variables };
}

parentPort.on('message', (job) => {
  const { id, parts, context, op } = job;
  try {
    if (op === 'analyze') {
      parentPort.postMessage({ id, ok: true, out: { json: JSON.stringify(analyze(parts)) } });
      return;
    }
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
