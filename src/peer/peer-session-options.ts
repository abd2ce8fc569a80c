/** Limits and timeouts of one peer session; every time is in ms of `deps.scheduler`. */
export interface PeerSessionOptions {
  /** From subscribing to a connection; default 10 s. */
  readonly connectTimeout?: number;
  /** From connecting to the peer's handshake; default 20 s. */
  readonly handshakeTimeout?: number;
  /** From sending a request to its block; default 30 s. */
  readonly requestTimeout?: number;
  /** We send a keep-alive after this long without sending anything; default 2 min. */
  readonly keepAliveInterval?: number;
  /** Close after this long without a whole message from the peer (while reading); default 3 min. */
  readonly idleTimeout?: number;
  /**
   * Close (`stalled`) after this long with requests outstanding and no block or reject from the
   * peer, however many bytes trickle in meanwhile (a slow loris); default 60 s.
   */
  readonly stallTimeout?: number;
  /** Keep-alives the peer may send per `keepAliveWindow` before `keepalive-flood`; default 30. */
  readonly maxKeepAlives?: number;
  /** The window `maxKeepAlives` counts in; default 60 s. */
  readonly keepAliveWindow?: number;
  /** Period of `rate` events and of pipeline re-sizing; default 1 s. */
  readonly rateInterval?: number;
  /** The block size the supervisor requests, used to size the pipeline; default 16 KiB. */
  readonly blockSize?: number;
  /** The pipeline covers this much transfer time; default 2 s. */
  readonly pipelineHorizon?: number;
  /** Requests kept in flight at least (while unchoked); default 5. */
  readonly minPipeline?: number;
  /** Requests in flight at most (also capped by the peer's `reqq`); default 250. */
  readonly maxPipeline?: number;
  /**
   * Peer requests queued with us (also our `reqq`); default 2000. transmission asks for up to the
   * `reqq` it is told about once a second, so this bounds what it can download from us. Excess
   * requests are rejected (BEP 6) or dropped; more than this many over the cap with no piece sent
   * meanwhile is a `request-flood`.
   */
  readonly maxQueuedRequests?: number;
  /**
   * Queued requests announced to the supervisor (as `request` events) at once, blocks in hand
   * waiting for the socket included; default 64. The rest wait, unannounced, so one peer's
   * uploads hold at most this many blocks in memory however deep its queue.
   */
  readonly uploadWindow?: number;
  /** Largest block the peer may request from us; default 128 KiB. */
  readonly maxRequestLength?: number;
  /** Largest block the decoder accepts from the peer; default 128 KiB. */
  readonly maxBlockLength?: number;
  /** `v` of our extension handshake; default `rxtorrent 0.1.0`. */
  readonly clientName?: string;
  /** `p` of our extension handshake (our listening port), if any. */
  readonly listenPort?: number;
}

export type ResolvedPeerSessionOptions = Required<Omit<PeerSessionOptions, 'listenPort'>> & {
  readonly listenPort: number | undefined;
};

export function resolvePeerSessionOptions(options: PeerSessionOptions = {}): ResolvedPeerSessionOptions {
  return {
    connectTimeout: options.connectTimeout ?? 10_000,
    handshakeTimeout: options.handshakeTimeout ?? 20_000,
    requestTimeout: options.requestTimeout ?? 30_000,
    keepAliveInterval: options.keepAliveInterval ?? 120_000,
    idleTimeout: options.idleTimeout ?? 180_000,
    stallTimeout: options.stallTimeout ?? 60_000,
    maxKeepAlives: options.maxKeepAlives ?? 30,
    keepAliveWindow: options.keepAliveWindow ?? 60_000,
    rateInterval: options.rateInterval ?? 1_000,
    blockSize: options.blockSize ?? 16 * 1024,
    pipelineHorizon: options.pipelineHorizon ?? 2_000,
    minPipeline: options.minPipeline ?? 5,
    maxPipeline: options.maxPipeline ?? 250,
    maxQueuedRequests: options.maxQueuedRequests ?? 2000,
    uploadWindow: Math.max(1, options.uploadWindow ?? 64),
    maxRequestLength: options.maxRequestLength ?? 128 * 1024,
    maxBlockLength: options.maxBlockLength ?? 128 * 1024,
    clientName: options.clientName ?? 'rxtorrent 0.1.0',
    listenPort: options.listenPort,
  };
}
