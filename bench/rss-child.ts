import { readFileSync, writeFileSync } from 'node:fs';
import { ConnectionManager } from '../electron/core/db/connection-manager';
import { importCandleFile } from '../electron/core/market/candle-importer';
import { CandleStore } from '../electron/core/market/candle-store';
import type { CandleKey } from '../shared/candles';

/**
 * Runs one piece of work alone in this process and reports its memory: the resident set before
 * the work (modules loaded, database connected, after a full GC) and the peak resident set during
 * it (the kernel's high-water mark, reset just before the work starts). `peak - baseline` is what
 * the work itself needed, free of whatever an earlier benchmark left in a shared process.
 *
 *   tsx bench/rss-child.ts <task> '<json args>'   → prints one JSON line
 */

function statusKb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`/proc/self/status has no ${field}`);
  return Number(m[1]);
}

async function measure<T>(work: () => Promise<T>): Promise<{ baselineMb: number; peakMb: number; result: T }> {
  (globalThis as { gc?: () => void }).gc?.();
  const baselineMb = statusKb('VmRSS') / 1024;
  // "5" resets VmHWM to the current RSS (Linux 4.0+), so the mark is the work's own peak.
  writeFileSync('/proc/self/clear_refs', '5');
  const result = await work();
  return { baselineMb, peakMb: statusKb('VmHWM') / 1024, result };
}

interface ImportArgs {
  uri: string;
  file: string;
  key: CandleKey;
}

const tasks: Record<string, (args: never) => Promise<unknown>> = {
  /** A strict Binance CSV import into MongoDB, exactly what candles.import does. */
  async import(args: ImportArgs) {
    const manager = new ConnectionManager({ uri: args.uri });
    await manager.connect();
    const store = new CandleStore(manager.connection);
    await store.ensureIndexes();
    try {
      return await measure(async () => {
        const started = performance.now();
        const report = await importCandleFile(store, { file: args.file, key: args.key, format: 'binance-csv' });
        if (!report.ok) throw new Error(`import failed: ${JSON.stringify(report.issues.slice(0, 3))}`);
        return { rows: report.rows, inserted: report.inserted, seconds: (performance.now() - started) / 1000 };
      });
    } finally {
      await manager.close();
    }
  },
};

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2);
  const task = name ? tasks[name] : undefined;
  if (!task) throw new Error(`unknown task ${name}; one of ${Object.keys(tasks).join(', ')}`);
  const out = await task(JSON.parse(json ?? '{}') as never);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
