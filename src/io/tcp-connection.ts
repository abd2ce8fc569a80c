/**
 * The TCP edge of the peer session: `node:net` sockets as `Observable<Connection>`.
 *
 * `connectTcp(address)` is cold: subscribing dials, the one `Connection` is emitted once the
 * socket is connected, and unsubscribing destroys the socket (at any stage). A failed or slow
 * dial errors the Observable with a typed `ConnectionError` (`connect-timeout`,
 * `connect-refused`, `unreachable`, …). `acceptTcp(socket)` wraps a socket a server accepted,
 * with the same ownership.
 *
 * The Connection reads in flowing mode only while `data$` has a subscriber and `pause()` was not
 * called; `write(chunks)` writes each chunk into a socket corked until the end of the current tick,
 * so all the writes of one turn of the event loop leave in one `writev` (the small ones gathered
 * into one buffer first); it returns false above the socket's high-water mark until `drain$`:
 * `WRITE_HIGH_WATER_BYTES` for a socket `connectTcp` opens, whatever its server set for one
 * `acceptTcp` wraps (the peer listener sets the same).
 */
import * as net from 'node:net';
import type { DuplexOptions } from 'node:stream';
import { Observable } from '../rx.js';
import { ConnectionError } from '../peer/connection-error.js';
import type { Connection, PeerAddress } from '../peer/connection.js';

export interface ConnectTcpOptions {
  /** ms from subscribing to connected; default 10 000. */
  readonly connectTimeout?: number;
  /**
   * Read into one buffer of this socket's, reused for every read (Node's `onread`), instead of
   * a new Buffer per read: no allocation and no stream machinery per chunk. The Connection then
   * `reusesChunks`: each chunk of `data$` is valid only during its `next` call. Default false.
   */
  readonly reuseReadBuffer?: boolean;
}

/**
 * Messages up to this size (requests, haves, cancels, choke state: all but blocks and bitfields)
 * are copied into one batch per turn of the event loop and written as one chunk, instead of one
 * socket write each: a socket write costs ~2 µs of stream machinery however small it is, and a
 * download sends a 17-byte request per block (docs/performance.md).
 */
const SMALL_WRITE_BYTES = 256;
/** Bytes per batch slab; a slab lives until the last write from it has left. */
const SLAB_BYTES = 16 * 1024;

/** Bytes read per `read(2)` into a reused buffer (Node's own default read size). */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Bytes a socket buffers before `write` asks for `drain` (Node's default is 16 KiB). At 16 KiB a
 * seeder's second block in a turn already waited for `drain`, so each block left in a write of
 * its own: a syscall and a TCP segment per 16 KiB. At 256 KiB one `writev` carries up to 16
 * blocks: serving 1 GiB took 25 000 syscalls instead of 100 000 and 24 000 segments instead of
 * 55 000 (docs/performance.md, round 14). The session's upload window bounds what waits anyway.
 */
export const WRITE_HIGH_WATER_BYTES = 256 * 1024;

export function connectTcp(address: PeerAddress, options: ConnectTcpOptions = {}): Observable<Connection> {
  const ms = options.connectTimeout ?? 10_000;
  const reuse = options.reuseReadBuffer === true;
  return new Observable<Connection>((subscriber) => {
    const reader = reuse ? new ReusedReads() : undefined;
    // `net.connect` hands its options to the Socket, a Duplex, which takes the high-water mark;
    // @types/node leaves it out of the connect options.
    const connectOptions: net.TcpNetConnectOpts & Pick<DuplexOptions, 'writableHighWaterMark'> = {
      host: address.host,
      port: address.port,
      noDelay: true,
      writableHighWaterMark: WRITE_HIGH_WATER_BYTES,
      ...(reader === undefined ? {} : {
        onread: { buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES), callback: (n: number, buffer: Uint8Array) => reader.read(n, buffer) },
      }),
    };
    const socket = net.connect(connectOptions);
    const timer = setTimeout(() => {
      subscriber.error(new ConnectionError({ kind: 'connect-timeout', ms }));
    }, ms);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      subscriber.error(toConnectionError(err));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      subscriber.next(socketConnection(socket, address, [], reader));
    });
    return () => {
      clearTimeout(timer);
      socket.destroy();
    };
  });
}

export interface AcceptTcpOptions {
  /** Bytes the listener read past the handshake: `data$` delivers them first. */
  readonly head?: readonly Uint8Array[];
}

/** An accepted socket as a Connection; unsubscribing destroys it. */
export function acceptTcp(socket: net.Socket, options: AcceptTcpOptions = {}): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    socket.setNoDelay(true);
    const address = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    subscriber.next(socketConnection(socket, address, options.head ?? []));
    return () => {
      socket.destroy();
    };
  });
}

/** Maps Node's socket errors (by `code`) onto `ConnectionError` kinds. */
export function toConnectionError(err: unknown): ConnectionError {
  if (err instanceof ConnectionError) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError({ kind: 'connect-refused' });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return new ConnectionError({ kind: 'reset', code });
    case 'ETIMEDOUT':
      return new ConnectionError({ kind: 'timeout' });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError({ kind: 'unreachable', code });
    default:
      return new ConnectionError({ kind: 'io', code: code ?? 'UNKNOWN', message });
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/**
 * The `onread` end of a socket that reads into one reused buffer: hands each read to the
 * current `data$` subscriber; with none, keeps a copy and pauses the socket.
 */
class ReusedReads {
  deliver: ((chunk: Uint8Array) => void) | undefined = undefined;
  readonly early: Uint8Array[] = [];

  read(n: number, buffer: Uint8Array): boolean {
    // A plain Uint8Array, not Node's Buffer: every view the framing cuts from it (a frame, then a
    // block per piece message) is then V8's own `subarray`, not Buffer's JavaScript wrapper.
    const chunk = new Uint8Array(buffer.buffer, buffer.byteOffset, n);
    if (this.deliver === undefined) {
      this.early.push(chunk.slice());
      return false;
    }
    this.deliver(chunk);
    return true;
  }
}

function socketConnection(socket: net.Socket, remoteAddress: PeerAddress, head: readonly Uint8Array[], reader?: ReusedReads): Connection {
  // Remember how the socket ended, so a late `data$` subscriber still learns it.
  let failure: ConnectionError | undefined;
  let ended = false;
  let paused = false;
  let readers = 0;
  let corked = false;
  const batch = new SmallWrites(socket);
  const flush = (): void => {
    if (!corked) return;
    corked = false;
    batch.flush();
    socket.uncork();
  };
  socket.on('error', (err) => {
    failure ??= toConnectionError(err);
  });
  socket.once('end', () => {
    ended = true;
  });
  socket.once('close', () => {
    ended = true;
  });

  const data$ = new Observable<Uint8Array>((subscriber) => {
    for (const chunk of head) subscriber.next(chunk);
    if (reader !== undefined) for (const chunk of reader.early.splice(0)) subscriber.next(chunk);
    if (failure !== undefined) {
      subscriber.error(failure);
      return undefined;
    }
    if (ended || socket.destroyed) {
      subscriber.complete();
      return undefined;
    }
    const onData = (chunk: Uint8Array): void => subscriber.next(chunk);
    const onError = (err: Error): void => subscriber.error(failure ?? toConnectionError(err));
    const onEnd = (): void => {
      if (failure !== undefined) subscriber.error(failure);
      else subscriber.complete();
    };
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    readers++;
    if (reader === undefined) socket.on('data', onData);
    else reader.deliver = onData;
    if (!paused) socket.resume();
    return () => {
      readers--;
      if (reader === undefined) socket.off('data', onData);
      else if (reader.deliver === onData) reader.deliver = undefined;
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      // Without a reader, flowing mode would drop data on the floor.
      if (readers === 0 && !socket.destroyed) socket.pause();
    };
  });

  const drain$ = new Observable<void>((subscriber) => {
    const onDrain = (): void => subscriber.next();
    socket.on('drain', onDrain);
    return () => {
      socket.off('drain', onDrain);
    };
  });

  return {
    remoteAddress,
    data$,
    reusesChunks: reader !== undefined,
    drain$,
    write: (chunks) => {
      if (socket.destroyed || !socket.writable) return false;
      if (!corked) {
        // Everything written in this turn of the event loop leaves in one writev: a burst of
        // requests (one per block received) costs one syscall, not one each.
        corked = true;
        socket.cork();
        process.nextTick(flush);
      }
      for (const chunk of chunks) {
        if (chunk.length <= SMALL_WRITE_BYTES) {
          batch.add(chunk);
        } else {
          batch.flush();
          socket.write(chunk);
        }
      }
      return !socket.writableNeedDrain;
    },
    pause: () => {
      paused = true;
      socket.pause();
    },
    resume: () => {
      paused = false;
      if (readers > 0) socket.resume();
    },
    close: () => {
      flush();
      socket.destroy();
    },
  };
}

/**
 * Small writes gathered into one chunk: each is copied to the end of a slab, and `flush` writes
 * the bytes gathered since the last flush as one view of it. A slab is never written over: the
 * socket may hold a view of it until the write completes, so a full slab is replaced.
 */
class SmallWrites {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private start = 0;
  private end = 0;

  constructor(private readonly socket: net.Socket) {}

  add(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.slab.length) {
      this.flush();
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.start = this.end = 0;
    }
    this.slab.set(chunk, this.end);
    this.end += chunk.length;
  }

  flush(): void {
    if (this.end === this.start) return;
    this.socket.write(this.slab.subarray(this.start, this.end));
    this.start = this.end;
  }
}
