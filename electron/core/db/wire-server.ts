import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The project's own MongoDB wire-protocol server (mongo-java-server, from Maven Central) for
 * development, tests and the app's embedded default database. No real MongoDB can be installed
 * on every machine; this one needs only Java 17 and Maven, and is provisioned once into a cache.
 */
export const WIRE_SERVER_NAME = 'mongo-java-server 1.47.0';

/** The one user the server accepts when authentication is on (SCRAM-SHA-256, in the admin database). */
export interface WireServerCredentials {
  /** 1-64 letters, digits, '.', '_' or '-'. */
  username: string;
  /** 8-256 printable ASCII characters (the server does no SASLprep, which changes none of them). */
  password: string;
}

export interface WireServerOptions {
  port?: number;
  /** Loopback only unless `allowNonLoopback`: nothing is encrypted, and without credentials nothing is protected. */
  host?: string;
  /** Bind another address (a deliberate choice on the command line, never the app's default). */
  allowNonLoopback?: boolean;
  /** Directory for on-disk (H2) data; in memory when absent. */
  dataDir?: string;
  /** Exit when our stdin closes, so a dying parent never leaves the server behind. */
  watchStdin?: boolean;
  startTimeoutMs?: number;
  /**
   * Require SCRAM-SHA-256 with this user and password. They reach the server on its stdin, never
   * on its command line or in its environment (both readable by other processes).
   */
  credentials?: WireServerCredentials;
}

export interface RunningWireServer {
  /** The server's address without credentials (safe to show). */
  uri: string;
  /** Whether clients must authenticate. */
  authenticated: boolean;
  /**
   * What a client connects with: `uri` with `database`, plus the user, password and auth options
   * when authentication is on. Contains the password: never log or show it unmasked.
   */
  connectionString(database: string): string;
  port: number;
  description: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function findProjectRoot(start = process.cwd()): string {
  const env = process.env.BACKTEST_MONITOR_ROOT;
  if (env) return resolve(env);
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'mongo-server', 'pom.xml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find scripts/mongo-server/pom.xml above ${start}`);
    dir = parent;
  }
}

function run(cmd: string, args: string[], cwd: string): void {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`${cmd} is required to provision ${WIRE_SERVER_NAME}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * The launcher's sources (scripts/mongo-server/*.java) and a digest of their content: the cache is
 * recompiled whenever it differs, so a fresh clone, an old cache and a source edit all get the
 * classes of the sources in the tree (timestamps would miss a checkout of older sources).
 */
function launcherSources(root: string): { files: string[]; digest: string } {
  const dir = join(root, 'scripts', 'mongo-server');
  const files = readdirSync(dir).filter((f) => f.endsWith('.java')).sort().map((f) => join(dir, f));
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.slice(dir.length)}\0`).update(readFileSync(file)).update('\0');
  return { files, digest: hash.digest('hex') };
}

/** Fetches the jars and compiles the launcher on first use; afterwards returns the cached classpath. */
export function provisionWireServer(root = findProjectRoot()): { classpath: string } {
  const cache = join(root, '.cache', 'mongo-server');
  const lib = join(cache, 'lib');
  const classes = join(cache, 'classes');
  const stamp = join(classes, 'sources.sha256');
  const haveJars = existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('mongo-java-server-core'));
  if (!haveJars) {
    mkdirSync(lib, { recursive: true });
    run('mvn', ['-q', '-B', '-f', join(root, 'scripts', 'mongo-server', 'pom.xml'),
      'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], root);
  }
  const sources = launcherSources(root);
  const compiled = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
  if (compiled !== sources.digest) {
    // Compiled aside and swapped in, so a server started meanwhile never loads half a build.
    const fresh = `${classes}.${process.pid}.tmp`;
    rmSync(fresh, { recursive: true, force: true });
    mkdirSync(fresh, { recursive: true });
    run('javac', ['-cp', join(lib, '*'), '-d', fresh, ...sources.files], root);
    writeFileSync(join(fresh, 'sources.sha256'), `${sources.digest}\n`);
    const old = `${classes}.${process.pid}.old`;
    try {
      if (existsSync(classes)) renameSync(classes, old);
      renameSync(fresh, classes);
    } catch (error) {
      // Another process (a parallel test run) swapped in its build meanwhile: fine if it is this one.
      const theirs = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
      if (theirs !== sources.digest) throw error;
      rmSync(fresh, { recursive: true, force: true });
    }
    rmSync(old, { recursive: true, force: true });
  }
  return { classpath: `${classes}${process.platform === 'win32' ? ';' : ':'}${join(lib, '*')}` };
}

/**
 * Where a packaged app finds the server already built (electron-builder's extraResources: the jars
 * in `lib/`, the compiled launcher in `classes/`). Set by the desktop app's main process; there is
 * no project tree, Maven or javac on a user's machine, only a Java runtime.
 */
export const WIRE_SERVER_DIR_ENV = 'BACKTEST_MONITOR_WIRE_SERVER_DIR';

/** The classpath of a server built ahead of time into `dir` (see `npm run package:*`). */
export function prebuiltWireServer(dir: string): { classpath: string } {
  const lib = join(dir, 'lib');
  const classes = join(dir, 'classes');
  const haveJars = existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('mongo-java-server-core'));
  if (!haveJars || !existsSync(join(classes, 'MongoServerLauncher.class'))) {
    throw new Error(`${WIRE_SERVER_NAME} is not built in ${dir} (expected lib/mongo-java-server-core-*.jar and classes/MongoServerLauncher.class; the package step provisions them)`);
  }
  return { classpath: `${classes}${process.platform === 'win32' ? ';' : ':'}${join(lib, '*')}` };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startWireServer(options: WireServerOptions = {}): Promise<RunningWireServer> {
  const prebuilt = process.env[WIRE_SERVER_DIR_ENV];
  const { classpath } = prebuilt ? prebuiltWireServer(prebuilt) : provisionWireServer();
  const host = options.host ?? '127.0.0.1';
  const { credentials } = options;
  if (credentials) checkCredentials(credentials);
  // Without credentials whoever reaches the port reads and writes everything; with them the
  // traffic is still unencrypted (no TLS). Only the loopback interface, unless asked for explicitly.
  if (!isLoopbackHost(host) && !options.allowNonLoopback) {
    throw new Error(credentials
      ? `${WIRE_SERVER_NAME} does not encrypt its traffic: it binds only to 127.0.0.1, ::1 or localhost (got "${host}")`
      : `${WIRE_SERVER_NAME} has no authentication: it binds only to 127.0.0.1, ::1 or localhost (got "${host}")`);
  }
  const args = ['-Xss4m', '-cp', classpath, 'MongoServerLauncher', '--host', host, '--port', String(options.port ?? 0)];
  if (options.dataDir) args.push('--data', resolve(options.dataDir));
  if (options.watchStdin) args.push('--watch-stdin');
  if (credentials) args.push('--auth-stdin');
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // A launcher that died at once closes the pipe; the exit handler below says why, not an EPIPE.
  child.stdin?.on('error', () => undefined);
  if (credentials) child.stdin?.write(`${credentials.username}\n${credentials.password}\n`);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const ready = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${WIRE_SERVER_NAME} did not start within ${options.startTimeoutMs ?? 30000} ms: ${stderr}`));
    }, options.startTimeoutMs ?? 30000);
    // No Java on the PATH: spawn reports it here (unhandled, it would take the app down).
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${WIRE_SERVER_NAME} needs a Java runtime (17 or newer) on the PATH: ${error.message}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        resolveReady(line.slice('READY '.length));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${WIRE_SERVER_NAME} exited with code ${code} before it was ready: ${stderr}`));
    });
  });
  const [uri = '', ...rest] = ready.split(' ');
  const port = Number(new URL(uri).port);
  return {
    uri,
    port,
    authenticated: credentials !== undefined,
    connectionString: (database) => withDatabase(uri, database, credentials),
    description: rest.join(' '),
    process: child,
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

const CREDENTIAL_RULES = {
  username: /^[A-Za-z0-9._-]{1,64}$/,
  password: /^[\x20-\x7e]{8,256}$/,
};

/** The launcher's rules, checked here too so a bad value gets a clear error before Java starts. */
export function checkCredentials(credentials: WireServerCredentials): void {
  if (!CREDENTIAL_RULES.username.test(credentials.username)) {
    throw new Error(`${WIRE_SERVER_NAME}: the user name must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  // Never echo the password, not even its length.
  if (!CREDENTIAL_RULES.password.test(credentials.password)) {
    throw new Error(`${WIRE_SERVER_NAME}: the password must be 8-256 printable ASCII characters`);
  }
}

/** `uri` (mongodb://host:port/) for `database`, with the user and password percent-encoded when given. */
function withDatabase(uri: string, database: string, credentials: WireServerCredentials | undefined): string {
  const url = new URL(uri);
  url.pathname = `/${encodeURIComponent(database)}`;
  if (credentials) {
    url.username = encodeURIComponent(credentials.username);
    url.password = encodeURIComponent(credentials.password);
    url.searchParams.set('authSource', 'admin');
    url.searchParams.set('authMechanism', 'SCRAM-SHA-256');
  }
  return url.toString();
}
