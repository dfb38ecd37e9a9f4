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
