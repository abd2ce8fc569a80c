/**
 * How long the peer has owed us an answer: the clock runs while requests are outstanding and
 * restarts whenever the peer answers one (a block or a reject, even a late one). Bytes that
 * trickle in without finishing a block do not move it, so a slow loris stalls like a silent peer.
 * Pure: the caller passes the time and owns the timer.
 */
export class StallClock {
  private since: number | undefined = undefined;

  /** A request went out; the clock starts unless it already runs. True when it started. */
  asked(now: number): boolean {
    if (this.since !== undefined) return false;
    this.since = now;
    return true;
  }

  /** The peer answered a request: restart, or stop when nothing is outstanding any more. */
  answered(now: number, outstanding: number): void {
    this.since = outstanding > 0 ? now : undefined;
  }

  /** Nothing is owed any more through no fault of the peer (a BEP 3 choke, our cancels). */
  release(outstanding: number): void {
    if (outstanding === 0) this.since = undefined;
  }

  /** Reading resumes after a pause: the time paused is not the peer's fault. */
  restart(now: number): void {
    if (this.since !== undefined) this.since = now;
  }

  /** ms the peer has owed an answer at `now`, or undefined when it owes none. */
  owing(now: number): number | undefined {
    return this.since === undefined ? undefined : now - this.since;
  }
}
