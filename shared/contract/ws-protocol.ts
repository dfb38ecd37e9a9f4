import type { EventEnvelope } from './events';
import type { ErrorCode, InvokeResult } from './result';

/**
 * WebSocket path of the headless host; query: `epoch` and `since` (resume point). The handshake
 * carries the session cookie (the page) or `Authorization: Bearer <token>` (other clients), never
 * a secret in the URL.
 */
export const WS_PATH = '/ws';

export type ClientMessage =
  | { type: 'invoke'; id: number; channel: string; payload?: unknown }
  /** The client gave up on an invoke (its timeout): the host aborts the work; no result follows. */
  | { type: 'cancel'; id: number };

export type ServerMessage =
  | {
      type: 'welcome';
      /** Changes when the host restarts; sequence numbers are only comparable within one epoch. */
      epoch: string;
      /** The last sequence number emitted so far. */
      seq: number;
      /** Events replayed after this message because the client resumed. */
      replayed: number;
      /** True when the client resumed but some missed events are no longer in the replay buffer. */
      lostEvents: boolean;
      database: string;
    }
  | { type: 'result'; id: number; result: InvokeResult<unknown> }
  | { type: 'events'; events: EventEnvelope[] }
  /** A protocol error not tied to an invoke we could answer (bad JSON, unknown message type). */
  | { type: 'error'; code: ErrorCode; message: string; id?: number };

/** Close codes the host uses (4000–4999 are for applications). */
export const CLOSE_CODES = {
  /** The client read too slowly: its send buffer passed the limit. */
  slowClient: 4008,
  unauthorized: 4401,
  shuttingDown: 1001,
  /** ws's own code for a message over `maxPayload` (MAX_MESSAGE_BYTES). */
  tooBig: 1009,
} as const;

/** The largest JSON message a client may send; file contents go through `POST /upload`. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
