import type { TransportState } from './backend';
import type { EventEnvelope, EventName, EventPayload } from './events';

type AnyHandler = (payload: never) => void;

/** Fan-out of event batches to per-event and per-batch subscribers; shared by both clients. */
export class EventHub {
  private readonly byEvent = new Map<EventName, Set<AnyHandler>>();
  private readonly batchHandlers = new Set<(events: EventEnvelope[]) => void>();
  private readonly stateHandlers = new Set<(state: TransportState) => void>();
  private lastState: TransportState | undefined;

  subscribe<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    set.add(handler as AnyHandler);
    return () => set.delete(handler as AnyHandler);
  }

  onBatch(handler: (events: EventEnvelope[]) => void): () => void {
    this.batchHandlers.add(handler);
    return () => this.batchHandlers.delete(handler);
  }

  onTransportState(handler: (state: TransportState) => void): () => void {
    this.stateHandlers.add(handler);
    if (this.lastState) handler(this.lastState);
    return () => this.stateHandlers.delete(handler);
  }

  /** A throwing subscriber must not stop the others (or the transport) from getting the batch. */
  dispatch(events: EventEnvelope[]): void {
    if (events.length === 0) return;
    for (const handler of this.batchHandlers) guard(() => handler(events));
    for (const envelope of events) {
      const set = this.byEvent.get(envelope.event);
      if (!set) continue;
      for (const handler of set) guard(() => (handler as (p: unknown) => void)(envelope.payload));
    }
  }

  setState(state: TransportState): void {
    this.lastState = state;
    for (const handler of this.stateHandlers) guard(() => handler(state));
  }

  clear(): void {
    this.byEvent.clear();
    this.batchHandlers.clear();
    this.stateHandlers.clear();
  }
}

function guard(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    console.error('event handler failed', error);
  }
}
