import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DatabaseStatus } from '../shared/contract/channels';
import { fail } from '../shared/contract/result';
import { AppEventBus } from '../electron/core/app/event-bus';
import { startHost } from '../electron/server/ws-host';
import type { Benchmark } from './harness';

const RATE = 10_000;
const SECONDS = 10;

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The headless host's event stream: 10,000 notification events/s for 10 s to one WebSocket
 * client in a separate process (the app's own WsBackend). Measures delivered events/s, lost
 * events (must be 0) and emit → receipt latency including the host's ~25 ms batching window.
 */
const bench: Benchmark = async (ctx) => {
  const bus = new AppEventBus();
  const status: DatabaseStatus = { source: 'none', status: 'disconnected', label: 'none (transport benchmark)', spool: { buffering: 0 }, since: Date.now() };
  const host = await startHost({ bus, dispatch: async () => fail('unavailable', 'benchmark host'), databaseStatus: () => status }, { replayCapacity: 20_000 });
  const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
  const client = spawn(tsx, [join(process.cwd(), 'bench', 'transport-client.ts'), host.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: client.stdout! });
  const nextLine = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  try {
    const ready = await nextLine();
    if (ready !== 'READY') throw new Error(`client did not connect: ${ready}`);
    const base = { type: 'signal.closed' as const, backtest: false, runId: 'bench-run', symbol: 'ETH/BTC', strategyName: 'sma-crossover', title: 'ETH/BTC closed (take profit)', message: 'long 0.0842 → 0.0851, +1.07% after fees', read: false };
    let sent = 0;
    const total = RATE * SECONDS;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
        for (; sent < due; sent++) {
          const sentAt = performance.timeOrigin + performance.now();
          bus.emit('notification', { ...base, notificationId: `n${sent}`, createdAt: Math.floor(sentAt), data: { sentAt, closeReason: 'take_profit', pnlPercent: 1.07 } });
        }
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    const emitSeconds = (performance.now() - started) / 1000;
    const result = nextLine();
    bus.emit('log.line', { entryId: 'end', level: 'info', at: Date.now(), message: 'bench:end' });
    const report = JSON.parse(await result) as { received: number; latencies: number[]; firstAt: number; lastAt: number };
    const sorted = report.latencies.sort((a, b) => a - b);
    const deliveredSeconds = (report.lastAt - (performance.timeOrigin + started)) / 1000;
    ctx.log(`emitted ${sent} events in ${emitSeconds.toFixed(2)} s; client received ${report.received}; p50 ${percentile(sorted, 50).toFixed(1)} ms`);
    return [
      { name: 'transport.ws.events_per_s', value: Math.round(report.received / deliveredSeconds), unit: 'events/s', note: `${RATE}/s offered for ${SECONDS} s to one client in another process` },
      { name: 'transport.ws.lost', value: sent - report.received, unit: 'events', note: 'must be 0' },
      { name: 'transport.ws.p99_ms', value: round(percentile(sorted, 99)), unit: 'ms', note: 'emit → client receipt, includes the 25 ms batching window' },
    ];
  } finally {
    client.kill();
    await host.close();
  }
};

export default bench;
