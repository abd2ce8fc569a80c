/**
 * Leak checks for socket tests: count the handles Node reports as active (`UDPWrap`,
 * `TCPSocketWrap`, `Timeout`, …) and wait until a count falls back to its baseline.
 */
export function countResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((name) => name === kind).length;
}

/** Resolves once at most `count` resources of `kind` remain; rejects after `timeoutMs`. */
export async function waitForResources(kind: string, count: number, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (countResources(kind) > count) {
    if (Date.now() > deadline) {
      throw new Error(`${countResources(kind)} ${kind} still active, expected at most ${count}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}
