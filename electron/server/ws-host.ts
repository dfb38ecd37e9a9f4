import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DatabaseStatus } from '../../shared/contract/channels';
import type { EventEnvelope } from '../../shared/contract/events';
import { fail } from '../../shared/contract/result';
import { CLOSE_CODES, WS_PATH, type ClientMessage, type ServerMessage } from '../../shared/contract/ws-protocol';
import type { Dispatch } from '../core/app/dispatcher';
import { EventBatcher, type EnvelopeListener } from '../core/app/event-bus';
import { ReplayBuffer } from './replay-buffer';
import { serveStatic } from './static-files';

/** What the host needs from the app core. */
export interface HostCore {
  bus: { readonly epoch: string; readonly lastSeq: number; listen(listener: EnvelopeListener): () => void };
  dispatch: Dispatch;
  databaseStatus(): DatabaseStatus;
}

export interface HostOptions {
  /** 127.0.0.1 unless told otherwise; any other address requires `token`. */
  host?: string;
  port?: number;
  /** Required when bound beyond loopback; when set it is always checked. */
  token?: string;
  /** Built renderer to serve (out/renderer); without it only /health and the WebSocket answer. */
  staticDir?: string;
  /** Largest message a client may send; bigger ones close that connection with 1009. */
  maxMessageBytes?: number;
  /** Events kept for reconnecting clients. */
  replayCapacity?: number;
  /** A client whose unsent data passes this is dropped (code 4008) instead of growing memory. */
  maxBufferedBytes?: number;
  batchIntervalMs?: number;
  /** Invokes one connection may have unanswered at once; more are refused, not queued without bound. */
  maxInFlight?: number;
  /** Ping period; a client that misses a pong is closed so dead connections do not linger. */
  heartbeatMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface RunningHost {
  url: string;
  port: number;
  host: string;
  clients(): number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The headless host: serves the built renderer and the contract over one WebSocket per client.
 * Events are batched, numbered by the core's bus, kept in a bounded replay buffer for resuming
 * clients, and a client that cannot keep up is dropped with a reason.
 */
export async function startHost(core: HostCore, options: HostOptions = {}): Promise<RunningHost> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token?.trim() || undefined;
  if (!isLoopback(host) && !token) {
    throw new Error(`binding to ${host} exposes the app beyond this machine: give a token (--token or BACKTEST_MONITOR_TOKEN)`);
  }
  const maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
  const log = options.log ?? (() => undefined);
  const replay = new ReplayBuffer(options.replayCapacity ?? 20_000);
  const sockets = new Set<WebSocket>();

  const send = (socket: WebSocket, message: ServerMessage | string): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBuffered) {
      log('warn', `dropping a slow client: ${socket.bufferedAmount} bytes unsent`);
      sockets.delete(socket);
      socket.close(CLOSE_CODES.slowClient, `slow client: more than ${Math.round(maxBuffered / 1024)} KiB unsent; reconnect to resume`);
      return;
    }
    socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  };

  const batcher = new EventBatcher((batch) => {
    const text = JSON.stringify({ type: 'events', events: batch } satisfies ServerMessage);
    for (const socket of sockets) send(socket, text);
  }, options.batchIntervalMs ?? 25);
  const unlisten = core.bus.listen((envelope) => {
    replay.push(envelope);
    batcher.push(envelope);
  });

  const authorized = (url: URL): boolean => !token || tokenMatches(token, url.searchParams.get('token'));

  const health = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (!authorized(url) && !isLoopback(req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '')) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unauthorized' }));
      return;
    }
    const db = core.databaseStatus();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
      JSON.stringify({
        status: 'ok',
        epoch: core.bus.epoch,
        seq: core.bus.lastSeq,
        clients: sockets.size,
        database: { source: db.source, status: db.status, label: db.label, maskedUri: db.maskedUri, spool: db.spool, hint: db.hint },
      }),
    );
  };

  const server: Server = createServer((req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/health') return health(req, res, url);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (!options.staticDir) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no UI is served by this host');
        return;
      }
      serveStatic(options.staticDir, req, res);
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad request: ${(error as Error).message}`);
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 32 * 1024 * 1024 });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!authorized(url)) {
      log('warn', `refused a WebSocket from ${req.socket.remoteAddress}: ${url.searchParams.has('token') ? 'wrong' : 'missing'} token`);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, url));
  });

  const onConnection = (ws: WebSocket, url: URL): void => {
    ws.on('error', (error) => log('warn', `client socket error: ${error.message}`));
    const lastSeq = core.bus.lastSeq;
    const sinceRaw = url.searchParams.get('since');
    const resumes = url.searchParams.get('epoch') === core.bus.epoch && sinceRaw !== null && /^\d+$/.test(sinceRaw);
    const missed = resumes ? replay.since(Number(sinceRaw), lastSeq) : { events: [] as EventEnvelope[], lost: url.searchParams.has('epoch') };
    send(ws, { type: 'welcome', epoch: core.bus.epoch, seq: lastSeq, replayed: missed.events.length, lostEvents: missed.lost, database: core.databaseStatus().label });
    // Replay before joining the live stream; a later batch may repeat some, the client drops seq <= its last.
    for (let i = 0; i < missed.events.length; i += 2000) send(ws, { type: 'events', events: missed.events.slice(i, i + 2000) });
    sockets.add(ws);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => void onMessage(ws, isBinary ? null : data.toString()));
  };

  const alive = new WeakMap<WebSocket, boolean>();
  const heartbeat = setInterval(() => {
    for (const ws of sockets) {
      if (!alive.get(ws)) {
        sockets.delete(ws);
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  const inFlight = new WeakMap<WebSocket, number>();
  const maxInFlight = options.maxInFlight ?? 64;

  const onMessage = async (ws: WebSocket, text: string | null): Promise<void> => {
    if (text === null) return send(ws, { type: 'error', code: 'invalid_payload', message: 'binary messages are not supported; send JSON text' });
    let message: Partial<ClientMessage>;
    try {
      message = JSON.parse(text) as Partial<ClientMessage>;
    } catch (error) {
      return send(ws, { type: 'error', code: 'invalid_payload', message: `invalid JSON: ${(error as Error).message}` });
    }
    if (typeof message !== 'object' || message === null || message.type !== 'invoke' || typeof message.id !== 'number') {
      return send(ws, { type: 'error', code: 'invalid_payload', message: 'expected {"type":"invoke","id":<number>,"channel":"…","payload":…}' });
    }
    const busy = inFlight.get(ws) ?? 0;
    if (busy >= maxInFlight) {
      return send(ws, { type: 'result', id: message.id, result: fail('unavailable', `too many requests in flight (${maxInFlight}); wait for answers before sending more`) });
    }
    inFlight.set(ws, busy + 1);
    try {
      const result = await core.dispatch(message.channel, message.payload);
      send(ws, { type: 'result', id: message.id, result });
    } finally {
      inFlight.set(ws, (inFlight.get(ws) ?? 1) - 1);
    }
  };

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  log('info', `listening on http://${urlHost}:${port}/`);

  return {
    url: `http://${urlHost}:${port}/`,
    port,
    host,
    clients: () => sockets.size,
    close: async () => {
      clearInterval(heartbeat);
      unlisten();
      batcher.dispose();
      for (const socket of wss.clients) socket.close(CLOSE_CODES.shuttingDown, 'host shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
