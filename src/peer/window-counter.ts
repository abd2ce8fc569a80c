/**
 * A fixed-window rate limit: at most `max` hits per `windowMs`. Pure: the caller passes the
 * time (`scheduler.now()`), so it runs in virtual time like the rest of the session.
 */
export class WindowCounter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Counts one hit at `now`; true when it is over the limit of its window. */
  hit(now: number): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    return this.count > this.max;
  }
}
