import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A self-signed RSA certificate and its key in one PEM file, as an admin makes one for an Entra app's
 * certificate credential (openssl, about 0.1 s). Returns the file and the certificate alone (PEM).
 */
export function makeAppCertificate(dir: string, name: string): { file: string; cert: string } {
  const base = path.join(dir, name);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.crt`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(`${base}.crt`, 'utf8');
  writeFileSync(`${base}.pem`, `${cert}${readFileSync(`${base}.key`, 'utf8')}`);
  return { file: `${base}.pem`, cert };
}
