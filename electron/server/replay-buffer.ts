/** One `events` message as it went out: its sequence range and its encoded bytes. */
export interface EncodedFrame {
  first: number;
  last: number;
  bytes: Buffer;
}

/**
 * The last `capacity` events (at least), kept as the encoded frames they were sent in, so a
 * reconnecting client can catch up from its last sequence number. Frames rather than event objects:
 * a replay costs no second encoding, and tens of thousands of live objects held for a fraction of a
 * second are what makes the garbage collector work hardest (each survives, is copied and promoted).
 * A frame may also hold events the client has already seen; clients drop every seq they had.
 */
export class ReplayBuffer {
  private readonly frames: EncodedFrame[] = [];
  private start = 0;
  private held = 0;

  constructor(readonly capacity: number) {}

  push(frame: EncodedFrame): void {
    this.frames.push(frame);
    this.held += frame.last - frame.first + 1;
    // Drop the oldest frames as long as what stays still holds `capacity` events.
    for (let oldest = this.frames[this.start]; oldest && this.held - (oldest.last - oldest.first + 1) >= this.capacity; oldest = this.frames[this.start]) {
      this.held -= oldest.last - oldest.first + 1;
      this.start++;
    }
    // Compact now and then instead of shifting on every push.
    if (this.start > 64 && this.start * 2 > this.frames.length) {
      this.frames.splice(0, this.start);
      this.start = 0;
    }
  }

  /**
   * The frames holding events after `since`, how many such events they carry, and whether some of
   * those events have already been dropped from the buffer.
   */
  since(since: number, lastSeq: number): { frames: Buffer[]; events: number; lost: boolean } {
    if (since >= lastSeq) return { frames: [], events: 0, lost: false };
    const oldest = this.frames[this.start]?.first ?? lastSeq + 1;
    const frames: Buffer[] = [];
    let events = 0;
    for (let i = this.start; i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (frame.last <= since) continue;
      frames.push(frame.bytes);
      events += frame.last - Math.max(frame.first, since + 1) + 1;
    }
    return { frames, events, lost: oldest > since + 1 };
  }
}
