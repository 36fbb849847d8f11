// Entry point for ROLE=worker: sets the role and starts the shared main.
process.env.ROLE = 'worker';
await import('../src/main.js');
