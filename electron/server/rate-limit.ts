/**
 * Failed sign-in attempts per remote address: a token bucket (a few mistakes pass, a guessing
 * burst is refused without even checking the guess) and one log line per burst with a count,
 * instead of one per try.
 */
export interface FailureLimiterOptions {
  /** Failures allowed back to back before the address is refused. */
  burst?: number;
  /** Failures per second the bucket earns back. */
  refillPerSecond?: number;
  /** A burst ends after this long without a failure; its count is logged then. */
  quietMs?: number;
  log(message: string): void;
}

interface Entry {
  tokens: number;
  refilledAt: number;
  lastFailureAt: number;
  loggedAt: number;
  /** Failures since the burst's first line was logged. */
  unlogged: number;
  reasons: Set<string>;
}

const MAX_ENTRIES = 10_000;

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly burst: number;
  private readonly refill: number;
  private readonly quietMs: number;
  private readonly sweep: ReturnType<typeof setInterval>;

  constructor(private readonly options: FailureLimiterOptions) {
    this.burst = options.burst ?? 10;
    this.refill = options.refillPerSecond ?? 0.5;
    this.quietMs = options.quietMs ?? 5000;
    this.sweep = setInterval(() => this.flush(false), Math.max(250, Math.min(this.quietMs, 5000)));
    this.sweep.unref();
  }

  private entry(address: string, now: number): Entry {
    let entry = this.entries.get(address);
    if (!entry) {
      if (this.entries.size >= MAX_ENTRIES) this.flush(true);
      entry = { tokens: this.burst, refilledAt: now, lastFailureAt: 0, loggedAt: 0, unlogged: 0, reasons: new Set() };
      this.entries.set(address, entry);
    }
    entry.tokens = Math.min(this.burst, entry.tokens + ((now - entry.refilledAt) / 1000) * this.refill);
    entry.refilledAt = now;
    return entry;
  }

  /** True while the address has used up its failures: refuse without checking its secret. */
  blocked(address: string): boolean {
    const entry = this.entries.get(address);
    return entry !== undefined && this.entry(address, Date.now()).tokens < 1;
  }

  /** A refused attempt: costs a token and is logged (the first of a burst) or counted. */
  failure(address: string, reason: string): void {
    const now = Date.now();
    const entry = this.entry(address, now);
    entry.tokens = Math.max(0, entry.tokens - 1);
    this.note(entry, address, reason, now);
  }

  /** A refusal that costs nothing (foreign Origin, rate-limited retry): logged once per burst too. */
  refused(address: string, reason: string): void {
    const now = Date.now();
    this.note(this.entry(address, now), address, reason, now);
  }

  private note(entry: Entry, address: string, reason: string, now: number): void {
    const newBurst = now - entry.lastFailureAt > this.quietMs && entry.unlogged === 0;
    entry.lastFailureAt = now;
    if (newBurst) {
      entry.loggedAt = now;
      this.options.log(`refused a request from ${address}: ${reason} (more from this address are counted and reported once)`);
      return;
    }
    entry.unlogged++;
    entry.reasons.add(reason);
  }

  /**
   * Logs the count of every burst that has gone quiet (and, once a minute, of one that goes on),
   * or of all of them when `all`; drops idle entries.
   */
  flush(all: boolean): void {
    const now = Date.now();
    for (const [address, entry] of this.entries) {
      const quiet = now - entry.lastFailureAt > this.quietMs;
      if (entry.unlogged > 0 && (all || quiet || now - entry.loggedAt > 60_000)) {
        entry.loggedAt = now;
        this.options.log(`refused ${entry.unlogged} more request(s) from ${address}: ${[...entry.reasons].join(', ')}`);
        entry.unlogged = 0;
        entry.reasons.clear();
      }
      const tokens = entry.tokens + ((now - entry.refilledAt) / 1000) * this.refill;
      if (all || (quiet && entry.unlogged === 0 && tokens >= this.burst)) this.entries.delete(address);
    }
  }

  dispose(): void {
    clearInterval(this.sweep);
    this.flush(true);
  }
}
