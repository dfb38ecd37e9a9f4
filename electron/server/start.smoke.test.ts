import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabaseUri } from '../../test/support/test-db';

function electronInstalled(): boolean {
  const dir = join(process.cwd(), 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  return existsSync(pathFile) && existsSync(join(dir, 'dist', readFileSync(pathFile, 'utf8').trim()));
}

/** `npm start` as a user runs it: builds if needed, falls back to the headless host without Electron. */
describe('npm start (smoke)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bm-start-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, prints a sign-in address, serves the UI and /health with its database, and stops cleanly on SIGTERM', async () => {
    const uri = freshDatabaseUri('start_smoke');
    // With an Electron binary on this machine `npm start` opens a window; the smoke test wants the host.
    const extra = electronInstalled() ? ['--', '--headless'] : [];
    child = spawn('npm', ['start', '--silent', ...extra], {
      cwd: process.cwd(),
      env: { ...process.env, CC_MONGO_CONNECTION_STRING: uri, BACKTEST_MONITOR_DATA_DIR: dataDir, BACKTEST_MONITOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so SIGTERM reaches npm, the start script and the host together, as from a terminal or a service manager.
      detached: true,
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // The pipes close only when every process writing to them (npm, start.mjs, the host) has exited.
    const drained = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((resolve) => s.once('close', resolve))));

    const deadline = Date.now() + 150_000;
    let match: RegExpMatchArray | null = null;
    while (!(match = output.match(/Backtest Monitor UI: (http:\/\/127\.0\.0\.1:\d+\/)\?code=([\w-]+)/)) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(match, output).not.toBeNull();
    const base = match![1]!;

    // The printed address signs this client in once: its code becomes the session cookie.
    const signIn = await fetch(`${base}?code=${match![2]}`, { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(base, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toMatch(/<div id="root">|<script/);

    expect(await (await fetch(new URL('/health', base))).json()).toEqual({ status: 'ok' });
    const health = (await (await fetch(new URL('/health', base), { headers: { cookie } })).json()) as { status: string; database: { source: string; status: string; label: string } };
    expect(health.status).toBe('ok');
    expect(health.database).toMatchObject({ source: 'env', status: 'connected' });
    expect(health.database.label).toMatch(/CC_MONGO_CONNECTION_STRING/);

    process.kill(-child.pid!, 'SIGTERM');
    const { code, signal } = await exited;
    await drained;
    // npm forwards the signal to the app, waits for it, then ends itself with the same signal.
    expect(code === 0 || signal === 'SIGTERM', output).toBe(true);
    expect(output).toMatch(/SIGTERM: shutting down/);
    expect(output).toMatch(/Backtest Monitor host stopped\./);
  }, 180_000);
});
