import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/interop/bot-process.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The fixture folder with the real backtest-kit and @backtest-kit/mongo (its own package.json). */
export const BOT_DIR = join(REPO_ROOT, 'bench', 'backtest-kit');
/** Shared candles live beside the repository (../shared in CI and on the team machines). */
export const SHARED_CANDLES = resolve(REPO_ROOT, '..', 'shared', 'data', 'candles');

export function assertBotInstalled(): void {
  if (!existsSync(join(BOT_DIR, 'node_modules', '@backtest-kit', 'mongo', 'package.json'))) {
    throw new Error(`the real packages are not installed: run \`npm ci\` in ${BOT_DIR} (.ci/run does)`);
  }
}

/** Undoes a bot script's {"$nonFinite": "Infinity"} (JSON has no Infinity, and its null means something else). */
function reviveNonFinite(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const tagged = (value as { $nonFinite?: unknown }).$nonFinite;
  return Object.keys(value).length === 1 && typeof tagged === 'string' ? Number(tagged) : value;
}

export interface BotEnv {
  mongoUri: string;
  redisHost: string;
  redisPort: number;
}

/**
 * Runs bench/backtest-kit/interop-bot.mjs in a child process (so the fixture's node_modules
 * resolve, and backtest-kit's own process exits cannot take the test runner down) and returns the
 * JSON object it prints last.
 */
export async function runBot<T>(args: string[], env: BotEnv, extraEnv: Record<string, string> = {}, timeoutMs = 420_000): Promise<T> {
  return runBotScript<T>('interop-bot.mjs', args, env, extraEnv, timeoutMs);
}

/** Runs another bot script (a path, or a file of BOT_DIR) the same way. */
export async function runBotScript<T>(script: string, args: string[], env: BotEnv, extraEnv: Record<string, string> = {}, timeoutMs = 420_000): Promise<T> {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: BOT_DIR,
    env: { ...process.env, CC_MONGO_CONNECTION_STRING: env.mongoUri, CC_REDIS_HOST: env.redisHost, CC_REDIS_PORT: String(env.redisPort), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  clearTimeout(timer);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0) throw new Error(`interop bot ${script} ${args[0]} exited with ${code}: ${stderr.slice(-3_000)}`);
  try {
    return JSON.parse(last, reviveNonFinite) as T;
  } catch {
    throw new Error(`interop bot ${args[0]} printed no JSON result; stderr: ${stderr.slice(-3_000)}`);
  }
}
