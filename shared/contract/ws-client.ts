import type { Backend, RequestArgs, TransportState } from './backend';
import type { InvokeChannel, ResponseOf } from './channels';
import { EventHub } from './event-hub';
import type { EventEnvelope } from './events';
import { fail, type InvokeResult } from './result';
import { CLOSE_CODES, WS_PATH, type ClientMessage, type ServerMessage } from './ws-protocol';

/** The part of the WebSocket API we use; both the browser's WebSocket and `ws` satisfy it. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
/**
 * Opens a socket. `init.headers` carries the token for non-browser clients (Node's `ws` takes
 * `new WebSocket(url, init)`); a browser cannot set headers and signs in with its cookie instead.
 */
export type WebSocketFactory = (url: string, init?: { headers: Record<string, string> }) => WebSocketLike;

export interface WsBackendOptions {
  /** Base URL of the host, e.g. "http://127.0.0.1:5173" or "ws://host:port"; the path is added. */
  url: string;
  /**
   * The host's secret, for clients that are not the host's own page (benchmarks, scripts): sent as
   * `Authorization: Bearer`, never in a URL. The page itself has a session cookie and passes none.
   */
  token?: string;
  /** Defaults to the global WebSocket (browsers). */
  createSocket?: WebSocketFactory;
  /** Defaults to the global fetch; used by `upload`. */
  fetch?: typeof fetch;
  /** How long an invoke waits for an answer (imports and downloads can be slow). */
  invokeTimeoutMs?: number;
  /** How long an invoke made while disconnected waits for the connection to come back. */
  connectWaitMs?: number;
  maxBackoffMs?: number;
}

const OPEN = 1;

interface Pending {
  resolve(result: InvokeResult<unknown>): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Backend over the headless host's WebSocket. Reconnects with backoff and resumes the event
 * stream from the last sequence number it saw, so nothing emitted while it was away is lost
 * (as long as the host's replay buffer still holds it; otherwise the state says `lostEvents`).
 */
export class WsBackend implements Backend {
  readonly transport = 'ws' as const;
  private readonly hub = new EventHub();
  private readonly pending = new Map<number, Pending>();
  private readonly waitingForOpen = new Set<() => void>();
  private socket: WebSocketLike | undefined;
  private nextId = 1;
  private epoch: string | undefined;
  private lastSeq = 0;
  private attempt = 0;
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly createSocket: WebSocketFactory;

  constructor(private readonly options: WsBackendOptions) {
    const global = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    this.createSocket = options.createSocket ?? ((url) => {
      if (!global) throw new Error('no WebSocket implementation: pass createSocket');
      return new global(url);
    });
    this.connect();
  }

  /** The last event sequence number received (for tests and diagnostics). */
  get lastSequence(): number {
    return this.lastSeq;
  }

  private authHeaders(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  private socketUrl(): string {
    const url = new URL(WS_PATH, this.options.url.replace(/^http/, 'ws'));
    if (this.epoch !== undefined) {
      url.searchParams.set('epoch', this.epoch);
      url.searchParams.set('since', String(this.lastSeq));
    }
    return url.toString();
  }

  private connect(): void {
    if (this.closed) return;
    let socket: WebSocketLike;
    try {
      socket = this.options.token ? this.createSocket(this.socketUrl(), { headers: this.authHeaders() }) : this.createSocket(this.socketUrl());
    } catch (error) {
      this.scheduleReconnect(error instanceof Error ? error.message : String(error));
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.failPending(`connection closed${event.reason ? `: ${event.reason}` : ''}`);
      if (event.code === CLOSE_CODES.unauthorized) {
        this.closed = true;
        this.hub.setState({ kind: 'closed', reason: event.reason || 'not signed in: open the address the host printed' });
        return;
      }
      this.scheduleReconnect(event.reason || `closed with code ${event.code}`);
    };
    socket.onerror = () => undefined; // onclose follows and handles it
  }

  private scheduleReconnect(reason: string): void {
    if (this.closed) return;
    this.attempt++;
    this.hub.setState({ kind: 'reconnecting', attempt: this.attempt, reason });
    const delay = Math.min(250 * 2 ** (this.attempt - 1), this.options.maxBackoffMs ?? 5000);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private onMessage(data: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case 'welcome': {
        const lost = message.lostEvents || (this.epoch !== undefined && this.epoch !== message.epoch);
        if (this.epoch !== message.epoch) this.lastSeq = message.seq - message.replayed;
        this.epoch = message.epoch;
        this.attempt = 0;
        this.hub.setState({ kind: 'connected', lostEvents: lost });
        for (const wake of this.waitingForOpen) wake();
        this.waitingForOpen.clear();
        break;
      }
      case 'events': {
        // Replays can overlap what we already saw; keep each seq exactly once.
        const fresh = message.events.filter((e: EventEnvelope) => e.seq > this.lastSeq);
        if (fresh.length === 0) return;
        this.lastSeq = fresh[fresh.length - 1]!.seq;
        this.hub.dispatch(fresh);
        break;
      }
      case 'result': {
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        clearTimeout(entry.timer);
        entry.resolve(message.result);
        break;
      }
      case 'error': {
        if (message.id === undefined) return;
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        clearTimeout(entry.timer);
        entry.resolve(fail(message.code, message.message));
        break;
      }
    }
  }

  private failPending(reason: string): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.resolve(fail('transport', reason));
      this.pending.delete(id);
    }
  }

  private whenOpen(): Promise<boolean> {
    if (this.socket?.readyState === OPEN && this.epoch !== undefined) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waitingForOpen.delete(wake);
        resolve(false);
      }, this.options.connectWaitMs ?? 10_000);
      this.waitingForOpen.add(wake);
    });
  }

  async invoke<C extends InvokeChannel>(channel: C, ...args: RequestArgs<C>): Promise<InvokeResult<ResponseOf<C>>> {
    if (!(await this.whenOpen()) || !this.socket) return fail('transport', 'not connected to the Backtest Monitor host');
    const socket = this.socket;
    const id = this.nextId++;
    const message: ClientMessage = { type: 'invoke', id, channel, payload: args[0] };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // Nobody waits for the answer any more: let the host stop the work.
        if (this.socket === socket && socket.readyState === OPEN) socket.send(JSON.stringify({ type: 'cancel', id } satisfies ClientMessage));
        resolve(fail('timeout', `${channel} did not answer within ${this.options.invokeTimeoutMs ?? 120_000} ms`));
      }, this.options.invokeTimeoutMs ?? 120_000);
      this.pending.set(id, { resolve: resolve as (r: InvokeResult<unknown>) => void, timer });
      try {
        socket.send(JSON.stringify(message));
      } catch (error) {
        this.pending.delete(id);
        clearTimeout(timer);
        resolve(fail('transport', error instanceof Error ? error.message : String(error)));
      }
    });
  }

  /**
   * Streams a file to the host's `POST /upload` (same-origin, so the browser adds the session
   * cookie); the answer's `uploadId` goes into `candles.import {source: {kind: 'upload'}}`.
   */
  async upload(file: Blob, fileName: string): Promise<InvokeResult<{ uploadId: string }>> {
    const doFetch = this.options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (!doFetch) return fail('transport', 'no fetch implementation for uploads');
    const url = new URL('/upload', this.options.url.replace(/^ws/, 'http'));
    url.searchParams.set('name', fileName);
    let response: Response;
    try {
      response = await doFetch(url, { method: 'POST', body: file, headers: { 'content-type': 'application/octet-stream', ...this.authHeaders() }, credentials: 'same-origin' });
    } catch (error) {
      return fail('transport', `the upload of ${fileName} did not reach the host: ${error instanceof Error ? error.message : String(error)}`);
    }
    let body: { uploadId?: unknown; error?: { code?: unknown; message?: unknown } } = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      /* the status says enough */
    }
    if (response.ok && typeof body.uploadId === 'string') return { ok: true, data: { uploadId: body.uploadId } };
    const message = typeof body.error?.message === 'string' ? body.error.message : `the host answered ${response.status}`;
    const code = response.status === 401 || response.status === 403 ? 'forbidden' : response.status === 413 ? 'invalid_payload' : 'unavailable';
    return fail(code, `upload of ${fileName}: ${message}`);
  }

  subscribe: Backend['subscribe'] = (event, handler) => this.hub.subscribe(event, handler);
  onBatch: Backend['onBatch'] = (handler) => this.hub.onBatch(handler);
  onTransportState(handler: (state: TransportState) => void): () => void {
    return this.hub.onTransportState(handler);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.failPending('client closed');
    this.socket?.close(1000, 'client closed');
    this.socket = undefined;
    this.hub.setState({ kind: 'closed', reason: 'client closed' });
    this.hub.clear();
  }
}

export function createWsBackend(options: WsBackendOptions): Backend {
  return new WsBackend(options);
}
