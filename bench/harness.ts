import { randomBytes } from 'node:crypto';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** What was measured, or the target it is held to. */
  note?: string;
}

export interface BenchContext {
  /** Base URI of the benchmark's own database server; call `databaseUri` for a fresh database. */
  mongoUri: string;
  mongoServer: string;
  databaseUri(name: string): string;
  /** Scratch directory for files (generated CSVs, caches); removed afterwards. */
  workDir: string;
  log(message: string): void;
}

/**
 * Thrown by a benchmark when some of its measurements failed (a timeout, an error state): the run
 * fails, and the figures that were measured are still reported.
 */
export class BenchFailure extends Error {
  constructor(
    message: string,
    readonly results: BenchResult[],
  ) {
    super(message);
  }
}

/** A benchmark module in bench/*.bench.ts default-exports one of these. */
export type Benchmark = (ctx: BenchContext) => Promise<BenchResult[]>;

export function databaseUriFor(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/bmbench_${name.replace(/[^a-zA-Z0-9]/g, '_')}_${randomBytes(3).toString('hex')}`;
  return url.toString();
}

export function peakRssTracker(intervalMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) / (1024 * 1024);
    },
  };
}

export interface ChildMemory<T> {
  /** Resident set before the work, after a full GC, MB. */
  baselineMb: number;
  /** Peak resident set during the work (VmHWM), MB. */
  peakMb: number;
  result: T;
}

/**
 * Runs a Node script in a child process and returns the JSON object on the last line of its
 * stdout; a non-zero exit or a last line that is no JSON object fails with `label` and the tail of
 * its stderr.
 */
export async function childJsonLine<T>(args: readonly string[], label: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`${label} exited with ${code}: ${err.slice(-2000)}`);
  return JSON.parse(line) as T;
}

/** Runs `task` of bench/rss-child.ts alone in a fresh Node process and returns its memory figures. */
export async function inChildProcess<T>(task: string, args: unknown): Promise<ChildMemory<T>> {
  const { join } = await import('node:path');
  // `--import tsx` keeps the script in this one process (the tsx CLI would start another).
  return childJsonLine<ChildMemory<T>>(['--expose-gc', '--import', 'tsx', join(process.cwd(), 'bench', 'rss-child.ts'), task, JSON.stringify(args)], `bench child ${task}`);
}
