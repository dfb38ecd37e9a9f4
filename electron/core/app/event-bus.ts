import type { EventEnvelope, EventName, EventPayload } from '../../../shared/contract/events';
import { randomBytes } from 'node:crypto';

export type EnvelopeListener = (envelope: EventEnvelope) => void;

/**
 * Numbers every main → renderer event once, in the core, so both transports (Electron IPC and the
 * WebSocket host) see the same sequence. `epoch` changes with every process start.
 */
export class AppEventBus {
  readonly epoch = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  private seq = 0;
  private readonly listeners = new Set<EnvelopeListener>();

  get lastSeq(): number {
    return this.seq;
  }

  emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    const envelope = { seq: ++this.seq, event, payload } as EventEnvelope;
    for (const listener of this.listeners) {
      try {
        listener(envelope);
      } catch (error) {
        // One broken transport must not starve the others.
        console.error(`event listener failed on ${event}`, error);
      }
    }
  };

  listen(listener: EnvelopeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Groups events into batches flushed every `intervalMs` (the renderer applies one batch per frame
 * instead of re-rendering per event). A batch is also flushed early when it reaches `maxBatch`.
 */
export class EventBatcher {
  private queue: EventEnvelope[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly flushTo: (batch: EventEnvelope[]) => void,
    private readonly intervalMs = 25,
    private readonly maxBatch = 5000,
  ) {}

  push(envelope: EventEnvelope): void {
    this.queue.push(envelope);
    if (this.queue.length >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushTo(batch);
  }

  get pending(): number {
    return this.queue.length;
  }

  dispose(): void {
    this.flush();
  }
}
