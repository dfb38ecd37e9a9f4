import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The project's own MongoDB wire-protocol server (mongo-java-server, from Maven Central) for
 * development, tests and the app's embedded default database. No real MongoDB can be installed
 * on every machine; this one needs only Java 17 and Maven, and is provisioned once into a cache.
 */
export const WIRE_SERVER_NAME = 'mongo-java-server 1.47.0';

export interface WireServerOptions {
  port?: number;
  /** Loopback only unless `allowNonLoopback`: the server has no authentication at all. */
  host?: string;
  /** Bind another address (a deliberate choice on the command line, never the app's default). */
  allowNonLoopback?: boolean;
  /** Directory for on-disk (H2) data; in memory when absent. */
  dataDir?: string;
  /** Exit when our stdin closes, so a dying parent never leaves the server behind. */
  watchStdin?: boolean;
  startTimeoutMs?: number;
}

export interface RunningWireServer {
  uri: string;
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

/** Fetches the jars and compiles the launcher on first use; afterwards returns the cached classpath. */
export function provisionWireServer(root = findProjectRoot()): { classpath: string } {
  const cache = join(root, '.cache', 'mongo-server');
  const lib = join(cache, 'lib');
  const classes = join(cache, 'classes');
  const launcherClass = join(classes, 'MongoServerLauncher.class');
  const haveJars = existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('mongo-java-server-core'));
  if (!haveJars) {
    mkdirSync(lib, { recursive: true });
    run('mvn', ['-q', '-B', '-f', join(root, 'scripts', 'mongo-server', 'pom.xml'),
      'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], root);
  }
  const launcherSource = join(root, 'scripts', 'mongo-server', 'MongoServerLauncher.java');
  // Recompile when the launcher changed since (a stale class would run the old server silently).
  if (!existsSync(launcherClass) || statSync(launcherSource).mtimeMs > statSync(launcherClass).mtimeMs) {
    mkdirSync(classes, { recursive: true });
    run('javac', ['-cp', join(lib, '*'), '-d', classes, launcherSource], root);
  }
  return { classpath: `${classes}${process.platform === 'win32' ? ';' : ':'}${join(lib, '*')}` };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startWireServer(options: WireServerOptions = {}): Promise<RunningWireServer> {
  const { classpath } = provisionWireServer();
  const host = options.host ?? '127.0.0.1';
  // mongo-java-server implements no authentication (no SCRAM, no saslStart): whoever reaches the
  // port reads and writes everything. Only the loopback interface, unless asked for explicitly.
  if (!isLoopbackHost(host) && !options.allowNonLoopback) {
    throw new Error(`${WIRE_SERVER_NAME} has no authentication: it binds only to 127.0.0.1, ::1 or localhost (got "${host}")`);
  }
  const args = ['-Xss4m', '-cp', classpath, 'MongoServerLauncher', '--host', host, '--port', String(options.port ?? 0)];
  if (options.dataDir) args.push('--data', resolve(options.dataDir));
  if (options.watchStdin) args.push('--watch-stdin');
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const ready = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${WIRE_SERVER_NAME} did not start within ${options.startTimeoutMs ?? 30000} ms: ${stderr}`));
    }, options.startTimeoutMs ?? 30000);
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
