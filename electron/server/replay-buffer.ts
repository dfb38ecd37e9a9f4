import type { EventEnvelope } from '../../shared/contract/events';

/** The last `capacity` events, so a reconnecting client can catch up from its last sequence number. */
export class ReplayBuffer {
  private readonly items: EventEnvelope[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  push(envelope: EventEnvelope): void {
    if (this.items.length - this.start >= this.capacity) this.start++;
    this.items.push(envelope);
    // Compact now and then instead of shifting on every push.
    if (this.start > this.capacity) {
      this.items.splice(0, this.start);
      this.start = 0;
    }
  }

  /** Events after `since`, and whether some of them have already been dropped from the buffer. */
  since(since: number, lastSeq: number): { events: EventEnvelope[]; lost: boolean } {
    if (since >= lastSeq) return { events: [], lost: false };
    const oldest = this.items[this.start]?.seq ?? lastSeq + 1;
    const events: EventEnvelope[] = [];
    for (let i = this.start; i < this.items.length; i++) if (this.items[i]!.seq > since) events.push(this.items[i]!);
    return { events, lost: oldest > since + 1 };
  }
}
