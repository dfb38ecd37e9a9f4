import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DatabaseStatus } from '../shared/contract/channels';
import { fail } from '../shared/contract/result';
import { AppEventBus } from '../electron/core/app/event-bus';
import { DEFAULT_BATCH_INTERVAL_MS, startHost } from '../electron/server/ws-host';
import type { Benchmark, BenchResult } from './harness';

/** Offered rates, one step each, until a step loses events, misses its latency target or cannot be offered. */
const RATES = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 130_000, 160_000, 200_000];
const STEP_SECONDS = 5;
const P99_LIMIT_MS = 100;
const TARGET_PER_S = 50_000;

const percentile = (sorted: number[], p: number): number | undefined => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

interface Step {
  offered: number;
  /** Events actually emitted per second (the emitter shares the process with the host). */
  emittedPerS: number;
  /** CPU µs per event: the host process (bus, batching, encoding, sending, and the emitting loop) and the client process. */
  hostCpuUsPerEvent: number;
  clientCpuUsPerEvent: number;
  sent: number;
  received: number;
  p50: number;
  p99: number;
  ok: boolean;
  why?: string;
}

/**
 * The headless host's event stream to one WebSocket client in a separate process (the app's own
 * WsBackend): the offered rate climbs step by step until events are lost, p99 emit → receipt
 * passes 100 ms, or the rate cannot even be emitted; the capacity is the highest step that held.
 */
const bench: Benchmark = async (ctx) => {
  const bus = new AppEventBus();
  const status: DatabaseStatus = { source: 'none', status: 'disconnected', label: 'none (transport benchmark)', spool: { buffering: 0 }, since: Date.now() };
  const host = await startHost({ bus, dispatch: async () => fail('unavailable', 'benchmark host'), databaseStatus: () => status }, { replayCapacity: 20_000, log: (level, m) => ctx.log(`host ${level}: ${m}`) });
  const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
  const client = spawn(tsx, [join(process.cwd(), 'bench', 'transport-client.ts'), host.url, host.token], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: client.stdout! });
  const queue: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  lines.on('line', (line) => (waiters.length ? waiters.shift()!(line) : queue.push(line)));
  const nextLine = (timeoutMs: number): Promise<string> =>
    queue.length
      ? Promise.resolve(queue.shift()!)
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no answer from the client within ${timeoutMs} ms`)), timeoutMs);
          waiters.push((line) => {
            clearTimeout(timer);
            resolve(line);
          });
        });
  const base = { type: 'signal.closed' as const, backtest: false, runId: 'bench-run', symbol: 'ETH/BTC', strategyName: 'sma-crossover', title: 'ETH/BTC closed (take profit)', message: 'long 0.0842 → 0.0851, +1.07% after fees', read: false };
  let id = 0;
  const steps: Step[] = [];
  try {
    const ready = await nextLine(30_000);
    if (ready !== 'READY') throw new Error(`client did not connect: ${ready}`);
    for (const rate of RATES) {
      const total = rate * STEP_SECONDS;
      let sent = 0;
      const hostCpu = process.cpuUsage();
      const started = performance.now();
      await new Promise<void>((resolve) => {
        const tick = (): void => {
          const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
          for (; sent < due; sent++) {
            const sentAt = performance.timeOrigin + performance.now();
            bus.emit('notification', { ...base, notificationId: `n${id++}`, createdAt: Math.floor(sentAt), data: { sentAt, closeReason: 'take_profit', pnlPercent: 1.07 } });
          }
          if (sent >= total) resolve();
          else setTimeout(tick, 1);
        };
        tick();
      });
      const emitSeconds = (performance.now() - started) / 1000;
      bus.emit('log.line', { entryId: `step-${rate}`, level: 'info', at: Date.now(), message: `bench:step-${rate}` });
      const line = await nextLine(60_000);
      const hostCpuUs = process.cpuUsage(hostCpu);
      const report = JSON.parse(line) as { step?: string; received?: number; latencies?: number[]; transport?: string; cpuUs?: number };
      if (report.transport) throw new Error(`the client's connection changed to ${report.transport} at ${rate}/s`);
      const sorted = (report.latencies ?? []).sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      const received = report.received ?? 0;
      const emittedPerS = sent / emitSeconds;
      const why =
        received < sent ? `${sent - received} lost` : p99 === undefined ? 'no latency sample' : p99 > P99_LIMIT_MS ? `p99 ${p99.toFixed(0)} ms > ${P99_LIMIT_MS} ms` : emittedPerS < rate * 0.95 ? `only ${Math.round(emittedPerS)}/s could be emitted` : undefined;
      const hostCpuUsPerEvent = (hostCpuUs.user + hostCpuUs.system) / sent;
      const clientCpuUsPerEvent = (report.cpuUs ?? NaN) / sent;
      const step: Step = { offered: rate, emittedPerS, hostCpuUsPerEvent, clientCpuUsPerEvent, sent, received, p50: p50 ?? NaN, p99: p99 ?? NaN, ok: why === undefined, ...(why ? { why } : {}) };
      steps.push(step);
      ctx.log(`${rate}/s offered: emitted ${Math.round(emittedPerS)}/s, received ${received}/${sent}, p50 ${p50?.toFixed(1)} ms, p99 ${p99?.toFixed(1)} ms, CPU per event: host ${hostCpuUsPerEvent.toFixed(2)} µs, client ${clientCpuUsPerEvent.toFixed(2)} µs${why ? ` — stop: ${why}` : ''}`);
      if (!step.ok) break;
    }
    bus.emit('log.line', { entryId: 'end', level: 'info', at: Date.now(), message: 'bench:end' });
  } finally {
    client.kill();
    await host.close();
  }
  const held = steps.filter((s) => s.ok);
  const best = held[held.length - 1];
  const stop = steps.find((s) => !s.ok);
  const results: BenchResult[] = [
    {
      name: 'transport.ws.sustained_events_per_s',
      value: best?.offered ?? 0,
      unit: 'events/s',
      note: `highest offered rate (steps ${RATES[0]}…, ${STEP_SECONDS} s each) one client in another process received in full with p99 ≤ ${P99_LIMIT_MS} ms; ${stop ? `next step ${stop.offered}/s failed: ${stop.why}` : 'no step failed'}; target ≥ ${TARGET_PER_S}`,
    },
  ];
  if (best) {
    results.push(
      { name: 'transport.ws.lost_at_sustained', value: best.sent - best.received, unit: 'events', note: `at ${best.offered}/s; must be 0` },
      {
        name: 'transport.ws.cpu_us_per_event',
        value: round(best.hostCpuUsPerEvent + best.clientCpuUsPerEvent),
        unit: 'µs',
        note: `CPU time per event at ${best.offered}/s, host ${round(best.hostCpuUsPerEvent)} µs (emitting loop included) + client ${round(best.clientCpuUsPerEvent)} µs: the load-independent cost; ${round((best.hostCpuUsPerEvent + best.clientCpuUsPerEvent) * TARGET_PER_S / 1e4, 0)} % of one core at ${TARGET_PER_S}/s`,
      },
      { name: 'transport.ws.p99_ms_at_sustained', value: round(best.p99), unit: 'ms', note: `emit → client receipt at ${best.offered}/s, includes the host's ${DEFAULT_BATCH_INTERVAL_MS} ms batching window; p50 ${round(best.p50)} ms` },
    );
  }
  return results;
};

export default bench;
