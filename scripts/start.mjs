#!/usr/bin/env node
/**
 * `npm start [-- --headless] [-- host options]`: builds what is missing or stale, then launches
 * Electron when its binary is present (fetching it first with electron's own installer when it
 * is missing), otherwise the headless host, which prints `Backtest Monitor UI: http://127.0.0.1:<port>/?code=<one-time code>`:
 * opening that address signs one browser in (the code becomes an HttpOnly session cookie and works
 * once; see docs/security.md).
 *
 * Environment: BACKTEST_MONITOR_HEADLESS=1 forces the headless host; BACKTEST_MONITOR_NO_ELECTRON_INSTALL=1
 * skips the installer attempt. Host options (--port, --host, --token, --allowed-host) are passed through.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceHeadless = args.includes('--headless') || process.env.BACKTEST_MONITOR_HEADLESS === '1';
const hostArgs = args.filter((a) => a !== '--headless');

const OUTPUTS = ['out/main/index.js', 'out/main/server.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(root, p));
const SOURCES = ['electron', 'shared', 'renderer', 'electron.vite.config.ts', 'package.json'].map((p) => join(root, p));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.test\.ts$/.test(path) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function buildIfNeeded() {
  const missing = OUTPUTS.filter((p) => !existsSync(p));
  const oldestOutput = missing.length ? 0 : Math.min(...OUTPUTS.map((p) => statSync(p).mtimeMs));
  const stale = !missing.length && Math.max(...SOURCES.map(newestMtime)) > oldestOutput;
  if (!missing.length && !stale) return;
  console.log(missing.length ? `Building the app (missing: ${missing.map((p) => p.slice(root.length + 1)).join(', ')})…` : 'Sources changed since the last build: rebuilding…');
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('Build failed; fix the errors above and run npm start again.');
    process.exit(result.status ?? 1);
  }
}

/**
 * The Electron binary, located the way electron's index.js does it but without its implicit
 * download (which prints a stack trace offline): path.txt names the executable inside dist/.
 */
export function electronBinary(electronDir = join(root, 'node_modules', 'electron')) {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const executable = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(electronDir, 'dist');
  const binary = join(dist, executable);
  return existsSync(binary) ? binary : undefined;
}

/** The Electron binary's path, or why there is none. */
function findElectron() {
  const electronDir = join(root, 'node_modules', 'electron');
  let binary = electronBinary(electronDir);
  if (binary) return { binary };
  if (process.env.BACKTEST_MONITOR_NO_ELECTRON_INSTALL === '1') return { reason: 'the Electron binary is not installed' };
  const installer = join(electronDir, 'install.js');
  if (!existsSync(installer)) return { reason: 'the electron package is not installed (npm install)' };
  console.log("The Electron binary is missing: fetching it with electron's installer…");
  const result = spawnSync(process.execPath, [installer], { cwd: electronDir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 300_000 });
  binary = electronBinary(electronDir);
  if (binary) return { binary };
  const why = (result.stderr || '').split('\n').find((l) => /error|failed/i.test(l))?.trim() ?? `exit code ${result.status}`;
  return { reason: `the Electron binary could not be fetched (${why}); on a machine with internet access it is fetched once` };
}

function hasDisplay() {
  return process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function run(command, commandArgs, env = process.env) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env });
  // Hand signals to the app so it can stop runs, flush and close the database before exiting.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

buildIfNeeded();
if (!forceHeadless) {
  const electron = findElectron();
  if (electron.binary && hasDisplay()) {
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    run(electron.binary, ['.', ...hostArgs], env);
  } else {
    console.log(`Starting the headless host instead of the desktop window: ${electron.binary ? 'no display is available' : electron.reason}.`);
    run(process.execPath, [join(root, 'out', 'main', 'server.js'), ...hostArgs]);
  }
} else {
  run(process.execPath, [join(root, 'out', 'main', 'server.js'), ...hostArgs]);
}
