// Entry point for ROLE=intake: sets the role and starts the shared main.
process.env.ROLE = 'intake';
await import('../src/main.js');
