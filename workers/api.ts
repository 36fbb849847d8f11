// Entry point for ROLE=api: sets the role and starts the shared main.
process.env.ROLE = 'api';
await import('../src/main.js');
