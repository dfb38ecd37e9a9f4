import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { freePort } from '../../test/support/ports';

export { freePort };

/**
 * Starts a process and resolves with the first stdout line matching `ready`; its output also goes
 * to `logFile` so a failing run can be read afterwards.
 */
export async function startProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; ready: RegExp; logFile: string; timeoutMs?: number; cwd?: string },
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr?.pipe(log);
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not print ${options.ready} within ${options.timeoutMs ?? 60_000} ms (log: ${options.logFile})`));
    }, options.timeoutMs ?? 60_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      const m = line.match(options.ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with code ${code} before it was ready (log: ${options.logFile})`));
    });
  });
  return { child, match };
}

export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

export interface RunningHost {
  /** The address the host printed: it signs one browser in, once (later visits need the cookie). */
  url: string;
  /** The page's address without a code. */
  base: string;
  /** The host's fixed token, for signing in more browsers (`signInWithToken`) and for scripts. */
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The built headless host (out/main/server.js) on a free port, using only `mongoUri` as its database.
 * It runs with a fixed token, as an operator would give with --token, so every test's fresh browser
 * can sign in through the host's sign-in form; the printed one-time address works too (once).
 */
export async function startHost(options: { root: string; mongoUri: string; dataDir: string; logFile: string; exchangeApiUrl?: string }): Promise<RunningHost> {
  const port = await freePort();
  const token = randomBytes(24).toString('base64url');
  const { child, match } = await startProcess(
    process.execPath,
    [join(options.root, 'out', 'main', 'server.js'), '--port', String(port), '--static', join(options.root, 'out', 'renderer')],
    {
      cwd: options.root,
      env: {
        ...process.env,
        CC_MONGO_CONNECTION_STRING: options.mongoUri,
        BACKTEST_MONITOR_DB: 'env',
        BACKTEST_MONITOR_DATA_DIR: options.dataDir,
        BACKTEST_MONITOR_TOKEN: token,
        ...(options.exchangeApiUrl ? { BACKTEST_MONITOR_EXCHANGE_API_URL: options.exchangeApiUrl } : {}),
      },
      ready: /Backtest Monitor UI: ((http\S+\/)\?code=\S+)/,
      logFile: options.logFile,
      timeoutMs: 120_000,
    },
  );
  return { url: match[1]!, base: match[2]!, token, child, stop: () => stopProcess(child) };
}
