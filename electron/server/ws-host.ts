import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DatabaseStatus } from '../../shared/contract/channels';
import { fail } from '../../shared/contract/result';
import { CLOSE_CODES, MAX_MESSAGE_BYTES, WS_PATH, type ClientMessage, type ServerMessage } from '../../shared/contract/ws-protocol';
import type { Dispatch } from '../core/app/dispatcher';
import { EventBatcher, type EnvelopeListener } from '../core/app/event-bus';
import { checkAccess, isLoopback, servedHosts } from './access';
import { HostAuth } from './auth';
import { nestsDeeperThan } from './json-guard';
import { FailureLimiter } from './rate-limit';
import { ReplayBuffer } from './replay-buffer';
import { contentSecurityPolicy, serveStatic } from './static-files';
import { DOWNLOAD_PATH, handleDownload } from './download-route';
import { handleUpload, type UploadReceiver } from './upload-route';

export { isLoopback };

/** What the host needs from the app core. */
export interface HostCore {
  bus: { readonly epoch: string; readonly lastSeq: number; listen(listener: EnvelopeListener): () => void };
  dispatch: Dispatch;
  databaseStatus(): DatabaseStatus;
  /** Where `POST /upload` streams files to; without it the host refuses uploads. */
  uploads?: UploadReceiver;
}

export interface HostOptions {
  /** 127.0.0.1 unless told otherwise; any other address requires `token`. */
  host?: string;
  port?: number;
  /**
   * A fixed secret (required beyond loopback). Without it the host makes a random one per start.
   * Non-browser clients send it as `Authorization: Bearer <token>`; a browser types it into the
   * sign-in form once and keeps a session cookie.
   */
  token?: string;
  /** More `name[:port]` values the Host header may carry (a DNS name, a reverse proxy). */
  allowedHosts?: string[];
  /** Built renderer to serve (out/renderer); without it only /health, /upload and the WebSocket answer. */
  staticDir?: string;
  /** Largest message a client may send (1 MiB); bigger ones close that connection with 1009. */
  maxMessageBytes?: number;
  /** Deepest array/object nesting a message may have; deeper ones are refused before parsing. */
  maxJsonDepth?: number;
  /** Largest `POST /upload` body (512 MiB). */
  maxUploadBytes?: number;
  /** Open WebSockets one remote address may have; more are refused (HTTP 429). */
  maxConnectionsPerClient?: number;
  /** Failed sign-in attempts one address may make back to back, and how fast it earns them back. */
  authFailureBurst?: number;
  authRefillPerSecond?: number;
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
  /** The page's address, without any secret. */
  url: string;
  port: number;
  host: string;
  /** The secret for non-browser clients (`Authorization: Bearer`); never print it. */
  token: string;
  /** The page's address with a fresh one-time sign-in code (works once, in one browser). */
  loginUrl(): string;
  clients(): number;
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
/** One display frame: the renderer applies a batch per animation frame anyway. */
export const DEFAULT_BATCH_INTERVAL_MS = 16;

const remoteOf = (req: IncomingMessage): string => (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What a browser without a session sees instead of the app: how to get in, and nothing else. */
function signInPage(message: string, tokenForm: boolean): string {
  const form = tokenForm
    ? '<form method="post" action="/auth/login"><label>Host token <input name="token" type="password" autocomplete="off" required></label> <button>Sign in</button></form>'
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Backtest Monitor: sign in</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>Backtest Monitor</h1><p>${escapeHtml(message)}</p>${form}</body></html>`;
}

const SIGN_IN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The headless host: serves the built renderer and the contract over one WebSocket per client,
 * to the app's own page only (Host and Origin checked on every request, a per-start secret behind
 * a session cookie even on loopback). Events are batched, numbered by the core's bus, kept in a
 * bounded replay buffer for resuming clients, and a client that cannot keep up is dropped with a reason.
 */
export async function startHost(core: HostCore, options: HostOptions = {}): Promise<RunningHost> {
  const host = options.host ?? '127.0.0.1';
  const fixedToken = options.token?.trim() || undefined;
  if (!isLoopback(host) && !fixedToken) {
    throw new Error(`binding to ${host} exposes the app beyond this machine: give a token (--token or BACKTEST_MONITOR_TOKEN)`);
  }
  const maxBuffered = options.maxBufferedBytes ?? 16 * MIB;
  const maxDepth = options.maxJsonDepth ?? 64;
  const maxUpload = options.maxUploadBytes ?? 512 * MIB;
  const maxPerClient = options.maxConnectionsPerClient ?? 16;
  const log = options.log ?? (() => undefined);
  const replay = new ReplayBuffer(options.replayCapacity ?? 20_000);
  const sockets = new Set<WebSocket>();
  const perClient = new Map<string, number>();
  const limiter = new FailureLimiter({ burst: options.authFailureBurst, refillPerSecond: options.authRefillPerSecond, log: (m) => log('warn', m) });

  // Known once listening: the served addresses and the cookie's name depend on the port.
  let auth: HostAuth | undefined = undefined;
  let served: Set<string> = new Set();
  let csp = '';

  /** A message, or an `events` frame already encoded (UTF-8 JSON, sent as a text frame). */
  const send = (socket: WebSocket, message: ServerMessage | Buffer): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBuffered) {
      log('warn', `dropping a slow client: ${socket.bufferedAmount} bytes unsent`);
      sockets.delete(socket);
      socket.close(CLOSE_CODES.slowClient, `slow client: more than ${Math.round(maxBuffered / 1024)} KiB unsent; reconnect to resume`);
      return;
    }
    if (Buffer.isBuffer(message)) socket.send(message, { binary: false });
    else socket.send(JSON.stringify(message));
  };

  // Each batch is encoded once, for every client and for the replay buffer; the events are plain
  // data the core produced (already typed by the contract), so nothing is validated again here.
  const batcher = new EventBatcher((batch) => {
    const bytes = Buffer.from(JSON.stringify({ type: 'events', events: batch } satisfies ServerMessage), 'utf8');
    replay.push({ first: batch[0]!.seq, last: batch[batch.length - 1]!.seq, bytes });
    for (const socket of sockets) send(socket, bytes);
  }, options.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS);
  const unlisten = core.bus.listen((envelope) => batcher.push(envelope));

  const health = (res: ServerResponse, signedIn: boolean): void => {
    // Without a session or the token, only "it runs": no data dir, ports or database details.
    if (!signedIn) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ status: 'ok' }));
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

  const page = (res: ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': SIGN_IN_CSP, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end(signInPage(message, fixedToken !== undefined));
  };

  const signIn = (res: ServerResponse): void => {
    // Back to the app without the code, so it is not kept in the history or the address bar.
    res.writeHead(303, { location: '/', 'set-cookie': auth!.sessionCookie(), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
  };

  /** `token=…` from a sign-in form; small bodies only. */
  const readForm = (req: IncomingMessage): Promise<URLSearchParams | undefined> =>
    new Promise((resolveForm) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > 4096) {
          resolveForm(undefined);
          req.destroy();
        }
      });
      req.on('end', () => resolveForm(new URLSearchParams(body)));
      req.on('error', () => resolveForm(undefined));
    });

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const remote = remoteOf(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const access = checkAccess(req, served, { requireOrigin: false });
    if (!auth) return void res.writeHead(503).end();
    if (!access.ok) {
      limiter.refused(remote, `${access.reason} on ${url.pathname}`);
      res.writeHead(access.status, { 'content-type': 'text/plain' }).end(access.reason);
      return;
    }
    const { credential, via } = auth.check(req);
    // While an address is locked out no secret it sends is checked, right or wrong: a guess cannot be confirmed.
    if (credential !== 'absent' || url.searchParams.has('code') || url.pathname === '/auth/login') {
      if (limiter.blocked(remote)) {
        limiter.refused(remote, 'too many failed sign-ins');
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '10' }).end('too many failed attempts; wait and try again');
        return;
      }
    }
    if (credential === 'invalid') limiter.failure(remote, `wrong ${via === 'token' ? 'token' : 'session cookie'}`);
    const signedIn = credential === 'valid';

    if (url.pathname === '/health') return health(res, signedIn);

    if (url.pathname === '/auth/login' && req.method === 'POST') {
      const form = await readForm(req);
      const given = form?.get('token') ?? '';
      if (fixedToken && given && auth.tokenMatches(given)) return signIn(res);
      limiter.failure(remote, 'wrong token in the sign-in form');
      return page(res, 401, 'That token is not right.');
    }

    if (url.pathname === '/upload' && req.method === 'POST') {
      // A browser always sends Origin with a POST: a cookie without one is not the app's page.
      if (!signedIn || (via === 'cookie' && req.headers.origin === undefined)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'forbidden', message: 'sign in first' } }));
        return;
      }
      return handleUpload(req, res, url, core.uploads, maxUpload);
    }

    if (req.method === 'GET' && DOWNLOAD_PATH.test(url.pathname)) {
      if (!signedIn) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('sign in first');
        return;
      }
      return handleDownload(res, url, core.dispatch);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }

    const code = url.searchParams.get('code');
    if (code !== null) {
      // Already signed in (a second visit of the same address): the code is not needed.
      if (signedIn) return void res.writeHead(303, { location: '/', 'cache-control': 'no-store' }).end();
      // Only a GET spends the code: a HEAD (a link preview checking the address) does not.
      if (req.method === 'GET' && auth.redeem(code)) return signIn(res);
      limiter.failure(remote, 'invalid or used sign-in code');
      return page(res, 401, 'This sign-in address has been used already or is not valid: each printed address works once. Restart the host for a new one, or ask the person running it.');
    }

    if (!signedIn) {
      return page(res, 401, 'Not signed in. Open the address the host printed when it started (it carries a one-time code)' + (fixedToken ? ', or enter the host token.' : '.'));
    }
    if (!options.staticDir) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no UI is served by this host');
      return;
    }
    serveStatic(options.staticDir, req, res, csp);
  };

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      log('error', `${req.method} ${req.url?.split('?')[0]} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
      else res.destroy();
    });
  });

  // No permessage-deflate: compressing every batch costs more CPU than loopback bandwidth saves.
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? MAX_MESSAGE_BYTES, perMessageDeflate: false });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const remote = remoteOf(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH || !auth) return refuseUpgrade(socket, 404, 'Not Found');
    // Browsers always send Origin on a WebSocket handshake: a cookie arriving without one did not come from a page.
    const access = checkAccess(req, served, { requireOrigin: req.headers.authorization === undefined && req.headers.cookie !== undefined });
    if (!access.ok) {
      limiter.refused(remote, `${access.reason} on ${WS_PATH}`);
      return refuseUpgrade(socket, access.status, 'Forbidden');
    }
    if (limiter.blocked(remote)) {
      limiter.refused(remote, 'too many failed sign-ins');
      return refuseUpgrade(socket, 429, 'Too Many Requests');
    }
    const { credential, via } = auth.check(req);
    if (credential !== 'valid') {
      if (credential === 'invalid') limiter.failure(remote, `wrong ${via === 'token' ? 'token' : 'session cookie'} on ${WS_PATH}`);
      if (req.headers.origin === undefined) return refuseUpgrade(socket, 401, 'Unauthorized');
      // A page cannot read an HTTP status from a failed handshake: open, then close with a reason it can show.
      wss.handleUpgrade(req, socket, head, (ws) =>
        ws.close(CLOSE_CODES.unauthorized, 'not signed in: open the address the host printed (the host may have restarted)'),
      );
      return;
    }
    const open = perClient.get(remote) ?? 0;
    if (open >= maxPerClient) {
      limiter.refused(remote, `more than ${maxPerClient} connections`);
      return refuseUpgrade(socket, 429, 'Too Many Connections');
    }
    perClient.set(remote, open + 1);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, url, remote));
  });

  const onConnection = (ws: WebSocket, url: URL, remote: string): void => {
    /** This client's unanswered invokes by id, to abort on cancel or when it goes away. */
    const controllers = new Map<number, AbortController>();
    ws.on('error', (error) => log('warn', `client socket error: ${error.message}`));
    ws.on('close', () => {
      sockets.delete(ws);
      const left = (perClient.get(remote) ?? 1) - 1;
      if (left > 0) perClient.set(remote, left);
      else perClient.delete(remote);
      // Whatever this client asked for and still runs is no longer wanted.
      for (const controller of controllers.values()) controller.abort();
      controllers.clear();
    });
    const lastSeq = core.bus.lastSeq;
    const sinceRaw = url.searchParams.get('since');
    const resumes = url.searchParams.get('epoch') === core.bus.epoch && sinceRaw !== null && /^\d+$/.test(sinceRaw);
    const missed = resumes ? replay.since(Number(sinceRaw), lastSeq) : { frames: [] as Buffer[], events: 0, lost: url.searchParams.has('epoch') };
    send(ws, { type: 'welcome', epoch: core.bus.epoch, seq: lastSeq, replayed: missed.events, lostEvents: missed.lost, database: core.databaseStatus().label });
    // Replay (the frames as they were sent) before joining the live stream; frames and the next
    // batch may repeat some events, the client drops every seq <= its last. Events not yet
    // flushed are in the next batch, which this client gets once it is in `sockets`.
    for (const frame of missed.frames) send(ws, frame);
    sockets.add(ws);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('message', (data, isBinary) => void onMessage(ws, isBinary ? null : data.toString(), controllers));
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

  const maxInFlight = options.maxInFlight ?? 64;

  const onMessage = async (ws: WebSocket, text: string | null, controllers: Map<number, AbortController>): Promise<void> => {
    if (text === null) return send(ws, { type: 'error', code: 'invalid_payload', message: 'binary messages are not supported; send JSON text' });
    if (nestsDeeperThan(text, maxDepth)) {
      return send(ws, { type: 'error', code: 'invalid_payload', message: `message nests deeper than ${maxDepth} levels` });
    }
    let message: Partial<ClientMessage>;
    try {
      message = JSON.parse(text) as Partial<ClientMessage>;
    } catch (error) {
      return send(ws, { type: 'error', code: 'invalid_payload', message: `invalid JSON: ${(error as Error).message.slice(0, 200)}` });
    }
    if (typeof message === 'object' && message !== null && message.type === 'cancel' && typeof message.id === 'number') {
      controllers.get(message.id)?.abort();
      return;
    }
    if (typeof message !== 'object' || message === null || message.type !== 'invoke' || typeof message.id !== 'number') {
      return send(ws, { type: 'error', code: 'invalid_payload', message: 'expected {"type":"invoke","id":<number>,"channel":"…","payload":…}' });
    }
    if (controllers.size >= maxInFlight) {
      return send(ws, { type: 'result', id: message.id, result: fail('unavailable', `too many requests in flight (${maxInFlight}); wait for answers before sending more`) });
    }
    if (controllers.has(message.id)) {
      return send(ws, { type: 'result', id: message.id, result: fail('invalid_payload', `id ${message.id} is already in flight; use a new id per invoke`) });
    }
    const { id, channel, payload } = message as Extract<ClientMessage, { type: 'invoke' }>;
    const controller = new AbortController();
    controllers.set(id, controller);
    try {
      const result = await core.dispatch(channel, payload, { signal: controller.signal });
      if (!controller.signal.aborted) send(ws, { type: 'result', id, result });
    } finally {
      controllers.delete(id);
    }
  };

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const hostAuth = new HostAuth({ token: fixedToken, port });
  auth = hostAuth;
  served = servedHosts(host, port, options.allowedHosts);
  csp = contentSecurityPolicy(served);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}/`;
  log('info', `listening on ${url}`);

  return {
    url,
    port,
    host,
    token: hostAuth.token,
    loginUrl: () => `${url}?code=${hostAuth.newCode()}`,
    clients: () => sockets.size,
    close: async () => {
      clearInterval(heartbeat);
      unlisten();
      batcher.dispose();
      limiter.dispose();
      for (const socket of wss.clients) socket.close(CLOSE_CODES.shuttingDown, 'host shutting down');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
