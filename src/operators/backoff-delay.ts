/**
 * Exponential back-off with jitter, as a pure function: the delay before retry number `attempt`
 * (0-based) is `initialDelay · factor^attempt`, capped at `maxDelay`, then drawn uniformly from
 * `[d · (1 − jitter), d]`. Drawing below the nominal delay (never above it) keeps the cap a true
 * ceiling while still spreading a crowd of clients that failed at the same moment.
 */
export interface BackoffConfig {
  /** Delay before the first retry, in ms. */
  readonly initialDelay: number;
  /** Growth per attempt; default 2. */
  readonly factor?: number;
  /** Ceiling for any single delay, in ms. */
  readonly maxDelay: number;
  /** Fraction of the delay that is randomised, 0..1; default 0 (no jitter). */
  readonly jitter?: number;
}

export function backoffDelay(attempt: number, config: BackoffConfig, random: () => number): number {
  const factor = config.factor ?? 2;
  const jitter = clamp(config.jitter ?? 0, 0, 1);
  const nominal = Math.min(config.maxDelay, config.initialDelay * factor ** Math.max(0, attempt));
  const spread = nominal * jitter * clamp(random(), 0, 1);
  return Math.round(nominal - spread);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
