import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A private certificate authority and one server certificate it signed for 127.0.0.1 and localhost. */
export interface TestCa {
  /** The CA certificate (PEM file): what NODE_EXTRA_CA_CERTS points at to trust it. */
  caFile: string;
  /** The server certificate and its key (PEM files), for Dovecot's ssl_cert / ssl_key. */
  certFile: string;
  keyFile: string;
  /** The same, read, for node's tls options (smtp-server). */
  ca: string;
  cert: string;
  key: string;
  remove(): Promise<void>;
}

/** Makes a CA and a 127.0.0.1 server certificate with openssl (about 0.2 s), in a folder of its own. */
export async function createTestCa(name = 'test CA'): Promise<TestCa> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'test-ca-'));
  // Dovecot's config reader must see the files; nothing secret is in them beyond this test's run.
  await chmod(dir, 0o755);
  const file = (f: string) => path.join(dir, f);
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
    await run('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      file('srv.key'),
      '-out',
      file('srv.csr'),
      '-subj',
      '/CN=127.0.0.1',
    ]);
    await writeFile(
      file('ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n',
    );
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      file('srv.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('srv.pem'),
      '-days',
      '2',
      '-extfile',
      file('ext.cnf'),
    ]);
    await chmod(file('srv.key'), 0o644);
    const [ca, cert, key] = await Promise.all(
      ['ca.pem', 'srv.pem', 'srv.key'].map((f) => readFile(file(f), 'utf8')),
    );
    return {
      caFile: file('ca.pem'),
      certFile: file('srv.pem'),
      keyFile: file('srv.key'),
      ca: ca!,
      cert: cert!,
      key: key!,
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
