import WebSocket from 'ws';
import type { EventEnvelope } from '../shared/contract/events';
import { WsBackend, type WebSocketLike } from '../shared/contract/ws-client';

/**
 * The benchmark's client, in its own process like a real renderer: connects with the app's
 * WebSocket Backend and records emit → receipt latency per event. A `bench:step` log line closes a
 * step (one offered rate): the client prints that step's count and latencies and starts the next.
 */
const url = process.argv[2]!;
/** The host's token: a client that is not the host's own page signs in with `Authorization: Bearer`. */
const token = process.argv[3];
let latencies: number[] = [];
let received = 0;
/** CPU time this process spent per step (user + system, µs): what receiving and decoding cost. */
let cpuAtStepStart = process.cpuUsage();
const now = (): number => performance.timeOrigin + performance.now();

const backend = new WsBackend({ url, token, createSocket: (u, init) => new WebSocket(u, init) as unknown as WebSocketLike });
backend.onTransportState((s) => {
  if (s.kind === 'connected') process.stdout.write('READY\n');
  else process.stdout.write(`${JSON.stringify({ transport: s.kind })}\n`);
});
backend.onBatch((events: EventEnvelope[]) => {
  const at = now();
  for (const e of events) {
    if (e.event === 'log.line' && e.payload.message.startsWith('bench:')) {
      const cpu = process.cpuUsage(cpuAtStepStart);
      process.stdout.write(`${JSON.stringify({ step: e.payload.message, received, latencies, cpuUs: cpu.user + cpu.system })}\n`);
      received = 0;
      latencies = [];
      cpuAtStepStart = process.cpuUsage();
      if (e.payload.message === 'bench:end') {
        backend.close();
        setTimeout(() => process.exit(0), 50);
        return;
      }
      continue;
    }
    if (e.event !== 'notification') continue;
    received++;
    const sentAt = e.payload.data?.sentAt;
    if (typeof sentAt === 'number') latencies.push(at - sentAt);
  }
});
