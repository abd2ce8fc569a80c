/**
 * How many requests to keep in flight to one peer: enough to cover `horizon` ms of transfer at
 * the measured rate, so the link never idles between a block and the next request.
 *
 *   depth = clamp(ceil(rate · horizon / blockSize), min, max)
 *
 * With the defaults (2 s, 16 KiB, 5 … 250) a 100 KiB/s peer gets 13 requests and a 10 MiB/s peer
 * 250. `max` is further capped by the peer's own `reqq` (BEP 10) when it sent one.
 */
export interface PipelineDepthConfig {
  /** Bytes per request; default 16 KiB. */
  readonly blockSize: number;
  /** Milliseconds of transfer the pipeline should cover; default 2000. */
  readonly horizon: number;
  readonly min: number;
  readonly max: number;
}

export const DEFAULT_PIPELINE_DEPTH: PipelineDepthConfig = Object.freeze({
  blockSize: 16 * 1024,
  horizon: 2000,
  min: 5,
  max: 250,
});

export function pipelineDepth(bytesPerSecond: number, config: PipelineDepthConfig = DEFAULT_PIPELINE_DEPTH): number {
  const max = Math.max(1, config.max);
  const min = Math.min(config.min, max);
  const wanted = Math.ceil((Math.max(0, bytesPerSecond) * config.horizon) / 1000 / config.blockSize);
  return Math.min(max, Math.max(min, Number.isFinite(wanted) ? wanted : max));
}
