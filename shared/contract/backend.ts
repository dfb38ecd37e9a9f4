import type { InvokeChannel, RequestOf, ResponseOf } from './channels';
import type { EventEnvelope, EventName, EventPayload } from './events';
import type { InvokeResult } from './result';

export type TransportState =
  /** `lostEvents`: the host could not replay everything missed while away; refetch lists. */
  | { kind: 'connected'; lostEvents: boolean }
  | { kind: 'reconnecting'; attempt: number; reason?: string }
  /** The host refused us (bad token) or dropped us for good; `reason` says why. */
  | { kind: 'closed'; reason: string };

/**
 * What the renderer talks to. The IPC client (Electron) and the WebSocket client (headless host)
 * both implement it, so the UI does not know which transport it has.
 */
export interface Backend {
  readonly transport: 'ipc' | 'ws';
  /** Never rejects: failures come back as `{ ok: false, error }`. */
  invoke<C extends InvokeChannel>(channel: C, ...payload: RequestArgs<C>): Promise<InvokeResult<ResponseOf<C>>>;
  /** One handler per event type; returns the unsubscribe function. */
  subscribe<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
  /**
   * Every event batch as it arrives (already batched by the host every ~16–50 ms), for stores that
   * apply them once per animation frame.
   */
  onBatch(handler: (events: EventEnvelope[]) => void): () => void;
  onTransportState(handler: (state: TransportState) => void): () => void;
  /**
   * Hands a file's contents to the app for a following `candles.import` with
   * `{kind: 'upload', uploadId, fileName}`: an authenticated streamed HTTP upload on the headless
   * host, IPC in the desktop app. Never rejects.
   */
  upload(file: Blob, fileName: string): Promise<InvokeResult<{ uploadId: string }>>;
  close(): void;
}

/** Channels whose request has no required field may be invoked without a payload. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- "{}" is exactly "a payload with no required field"
export type RequestArgs<C extends InvokeChannel> = {} extends RequestOf<C> ? [payload?: RequestOf<C>] : [payload: RequestOf<C>];

/** The exact surface the preload exposes on `window.backtestMonitor`. */
export interface BridgeApi {
  invoke(channel: string, payload: unknown): Promise<InvokeResult<unknown>>;
  /** Receives every event batch; returns the unsubscribe function. */
  onEvents(listener: (events: EventEnvelope[]) => void): () => void;
}
