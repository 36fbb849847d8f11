import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** What a test needs to talk to the Dovecot instance (serialisable, so it can go through vitest's provide). */
export interface DovecotConnectionInfo {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface DovecotServer extends DovecotConnectionInfo {
  /** Private folder holding config, users file, maildirs, logs and run/master.pid. */
  dir: string;
  /** With `tls`: the implicit-TLS (imaps) port; `port` then offers STARTTLS. */
  tlsPort?: number;
  /** Adds a user or changes its password; Dovecot reads the users file again at the next login. */
  setUser(user: string, password: string): Promise<void>;
  /** Kills the master, waits until it has exited and removes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

export const DOVECOT_USER = 'support@example.test';
const HOST = '127.0.0.1';
const NOT_INSTALLED = 'dovecot not installed: apt-get install -y dovecot-imapd';

function findDovecotBinary(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/local/sbin',
  ];
  for (const folder of candidates) {
    const file = path.join(folder, 'dovecot');
    if (existsSync(file)) return file;
  }
  throw new Error(NOT_INSTALLED);
}

/** Binds port 0 on 127.0.0.1, reads the port the kernel chose and releases it. */
export async function findFreePort(host = HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a probe socket'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** True once an IMAP greeting (`* OK`) arrives, i.e. the listener and an imap-login process are up. */
function greets(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let received = '';
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) done(received.startsWith('* OK'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True while `pid` exists and is not a zombie (a container's PID 1 may never reap the daemonised master). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface DovecotOptions {
  /** Serve TLS with this certificate: STARTTLS on `port`, implicit TLS on `tlsPort`. */
  tls?: { certFile: string; keyFile: string };
  /**
   * Offer XOAUTH2 (as Exchange Online does, and nothing else of OAuth), each token checked at this RFC 7662
   * introspection URL (POST `token=...`, answered `{ active, username }`).
   */
  oauth2IntrospectionUrl?: string;
}

function oauth2Settings(
  dir: string,
  introspectionUrl: string | undefined,
): { mechanisms: string; passdb: string } {
  if (!introspectionUrl) return { mechanisms: 'plain login', passdb: '' };
  return {
    mechanisms: 'plain login xoauth2',
    passdb: `auth_failure_delay = 0
passdb {
  driver = oauth2
  mechanisms = xoauth2
  args = ${dir}/dovecot-oauth2.conf.ext
}
`,
  };
}

function oauth2File(introspectionUrl: string): string {
  return `introspection_url = ${introspectionUrl}
introspection_mode = post
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
timeout_msecs = 5000
`;
}

function sslSettings(tls: DovecotOptions['tls']): string {
  if (!tls) return 'ssl = no';
  return `ssl = yes
ssl_cert = <${tls.certFile}
ssl_key = <${tls.keyFile}`;
}

function config(dir: string, port: number, tlsPort: number, opts: DovecotOptions): string {
  const oauth2 = oauth2Settings(dir, opts.oauth2IntrospectionUrl);
  return `protocols = imap
listen = ${HOST}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
${sslSettings(opts.tls)}
disable_plaintext_auth = no
auth_mechanisms = ${oauth2.mechanisms}
mail_location = maildir:${dir}/mail/%d/%n
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
mailbox_idle_check_interval = 1 secs
${oauth2.passdb}passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = home=${dir}/mail/%d/%n
}
protocol imap {
  # the default (10 per user and IP) is quickly reached when every test logs in as the same user
  mail_max_userip_connections = 500
}
service imap-login {
  inet_listener imap {
    address = ${HOST}
    port = ${port}
  }
  inet_listener imaps {
    address = ${HOST}
    port = ${tlsPort}
  }
}
`;
}

async function readMasterPid(dir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path.join(dir, 'run', 'master.pid'), 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function stopMaster(dir: string, knownPid?: number, timeoutMs = 15_000): Promise<void> {
  const pid = knownPid ?? (await readMasterPid(dir));
  if (pid === undefined || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await sleep(200);
      return;
    }
    await sleep(50);
  }
}

/**
 * Starts a private Dovecot (IMAP only, plaintext unless `tls` is given, 127.0.0.1, a free port) in its own temp
 * folder with one user, `support@example.test`, and a random password. Needs root (Dovecot switches to
 * `nobody` for mail access).
 */
export async function startDovecot(opts: DovecotOptions = {}): Promise<DovecotServer> {
  const binary = findDovecotBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dovecot-'));
  // mkdtemp gives 0700; Dovecot's auth process then cannot read the users file.
  chmodSync(dir, 0o755);
  try {
    const password = randomBytes(12).toString('hex');
    const port = await findFreePort();
    const tlsPort = opts.tls ? await findFreePort() : 0;
    await mkdir(path.join(dir, 'mail'));
    await mkdir(path.join(dir, 'state'));
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
    const nogroup = spawnSync('getent', ['group', 'nogroup'], { encoding: 'utf8' });
    const uid = Number.parseInt(nobody.stdout, 10);
    const gid = Number.parseInt(nogroup.stdout.split(':')[2] ?? '', 10);
    if (Number.isInteger(uid) && Number.isInteger(gid)) chownSync(path.join(dir, 'mail'), uid, gid);
    const users = new Map([[DOVECOT_USER, password]]);
    const writeUsers = () =>
      writeFile(path.join(dir, 'users'), [...users].map(([u, pw]) => `${u}:{PLAIN}${pw}\n`).join(''), {
        mode: 0o644,
      });
    await writeUsers();
    const confFile = path.join(dir, 'dovecot.conf');
    await writeFile(confFile, config(dir, port, tlsPort, opts));
    if (opts.oauth2IntrospectionUrl)
      await writeFile(path.join(dir, 'dovecot-oauth2.conf.ext'), oauth2File(opts.oauth2IntrospectionUrl), {
        mode: 0o644,
      });

    // The daemon inherits stdio: give it a file, never the test runner's pipes, or vitest waits forever.
    const outFile = path.join(dir, 'dovecot.out');
    const out = openSync(outFile, 'a');
    let exitCode: number | null;
    try {
      exitCode = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(binary, ['-c', confFile], { stdio: ['ignore', out, out], detached: true });
        child.once('error', reject);
        child.once('exit', (code) => resolve(code));
      });
    } finally {
      closeSync(out);
    }
    if (exitCode !== 0) {
      throw new Error(
        `dovecot exited with ${exitCode}:\n${tail(outFile)}\n${tail(path.join(dir, 'dovecot.log'))}`,
      );
    }

    // The listener opens a few ms before run/master.pid is written: wait for both.
    const deadline = Date.now() + 15_000;
    let pid = await readMasterPid(dir);
    while (pid === undefined || !(await greets(HOST, port))) {
      if (Date.now() > deadline) {
        throw new Error(
          `dovecot did not accept connections on ${HOST}:${port} within 15 s:\n${tail(path.join(dir, 'dovecot.log'))}`,
        );
      }
      await sleep(25);
      pid ??= await readMasterPid(dir);
    }
    const masterPid = pid;

    // Last resort if the runner dies without its teardown (e.g. process.exit): never leave a daemon behind.
    const onExit = () => {
      try {
        process.kill(masterPid, 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        process.off('exit', onExit);
        await stopMaster(dir, masterPid);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    };
    const setUser = async (user: string, pw: string) => {
      users.set(user, pw);
      await writeUsers();
    };
    return {
      host: HOST,
      port,
      tlsPort: opts.tls ? tlsPort : undefined,
      user: DOVECOT_USER,
      password,
      dir,
      setUser,
      stop,
    };
  } catch (error) {
    // A master that is still starting writes its pid file a moment later: give it that moment.
    let pid = await readMasterPid(dir);
    for (let i = 0; pid === undefined && i < 20 && existsSync(path.join(dir, 'run')); i++) {
      await sleep(100);
      pid = await readMasterPid(dir);
    }
    await stopMaster(dir, pid);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
