import { describe, expect, it } from 'vitest';
import { isTransient } from '../../src/pipeline/transient.js';

describe('isTransient: errors that pass, so the work is retried later rather than given up', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '08006' }],
    [{ code: '40P01', message: 'deadlock detected' }],
    [{ code: '53300', message: 'too many clients already' }],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout exceeded when trying to connect')],
    [{ responseCode: 451, message: '451 4.3.0 try again later' }],
  ])('%j is transient', (err) => {
    expect(isTransient(err)).toBe(true);
  });

  it.each([
    [new TypeError("Cannot read properties of undefined (reading 'x')")],
    [{ code: '23505', message: 'duplicate key value violates unique constraint' }],
    [{ code: '22P02', message: 'invalid input syntax for type uuid' }],
    [{ responseCode: 550, message: '550 5.1.1 no such user' }],
    [null],
    ['a string'],
  ])('%j is not', (err) => {
    expect(isTransient(err)).toBe(false);
  });
});
