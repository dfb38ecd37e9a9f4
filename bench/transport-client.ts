import WebSocket from 'ws';
import type { EventEnvelope } from '../shared/contract/events';
import { WsBackend, type WebSocketLike } from '../shared/contract/ws-client';

/**
 * The benchmark's client, in its own process like a real renderer: connects with the app's
 * WebSocket Backend, records emit → receipt latency per event and reports when the host says done.
 */
const url = process.argv[2]!;
const latencies: number[] = [];
const seqs = new Set<number>();
let firstAt = 0;
let lastAt = 0;
const now = (): number => performance.timeOrigin + performance.now();

const backend = new WsBackend({ url, createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike });
backend.onTransportState((s) => {
  if (s.kind === 'connected') process.stdout.write('READY\n');
});
backend.onBatch((events: EventEnvelope[]) => {
  const at = now();
  for (const e of events) {
    if (e.event === 'log.line' && e.payload.message === 'bench:end') {
      process.stdout.write(`${JSON.stringify({ received: seqs.size, latencies, firstAt, lastAt })}\n`);
      backend.close();
      setTimeout(() => process.exit(0), 50);
      return;
    }
    if (e.event !== 'notification') continue;
    seqs.add(e.seq);
    const sentAt = e.payload.data?.sentAt;
    if (typeof sentAt === 'number') latencies.push(at - sentAt);
    firstAt ||= at;
    lastAt = at;
  }
});
