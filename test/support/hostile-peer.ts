/**
 * A scriptable misbehaving BitTorrent peer for tests: a `node:net` server on 127.0.0.1 that
 * speaks just enough BEP 3 (handshake with the right or a wrong info hash, a full bitfield,
 * unchoke, blocks from the real content) and then does one bad thing.
 *
 *   const hostile = await startHostilePeer({ infoHash, pieceCount, behaviour: { kind: 'stall' } });
 *   … dial hostile.address …
 *   await hostile.close(); // destroys every socket, stops every timer, closes the server
 *
 * It reads what the other side sends with the project's own `FrameDecoder` and keeps it in
 * `received` (`request 0:0:16384`, `cancel …`), so a test can check what the victim asked for.
 * Whatever it writes in bulk (floods, junk after a huge length prefix) honours back-pressure and
 * stops as soon as the victim hangs up, so the test process only ever holds one chunk of it.
 */
import { once } from 'node:events';
import * as net from 'node:net';
import type { PeerAddress } from '../../src/peer/connection.js';
import { encodeMessage } from '../../src/wire/encode-message.js';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import type { FrameEvent } from '../../src/wire/frame-decoder.js';
import { encodeHandshake, encodeReserved } from '../../src/wire/handshake.js';
import type { PeerMessage, RequestMessage } from '../../src/wire/messages.js';
import { boundPort } from './ports.js';

export type HostileBehaviour =
  /** Answers the first batch of requests with half of the blocks, then ends the stream. */
  | { readonly kind: 'drop-mid-piece'; readonly midBlock?: boolean }
  /** Unchokes, then never answers a request; sends a keep-alive every `keepAliveMs` if set. */
  | { readonly kind: 'stall'; readonly keepAliveMs?: number }
  /** Answers the first request one byte per `intervalMs` (default 1 s) and ignores the rest. */
  | { readonly kind: 'slow-loris'; readonly intervalMs?: number }
  /** Answers every request at once with a block of the right size and the wrong bytes. */
  | { readonly kind: 'corrupt-blocks' }
  /** Sends a length prefix of `length` (default 2^32 - 16), then `junkBytes` (default 256 MiB). */
  | { readonly kind: 'huge-length'; readonly length?: number; readonly junkBytes?: number }
  /** Sends `have` for a piece index past the end. */
  | { readonly kind: 'have-out-of-range' }
  /** Asks for a block of a piece index past the end. */
  | { readonly kind: 'request-out-of-range' }
  /** Sends a bitfield `delta` bytes longer (or shorter) than the torrent's. */
  | { readonly kind: 'bitfield-wrong-size'; readonly delta: number }
  /** Sends a bitfield of the right size with the spare bits after the last piece set. */
  | { readonly kind: 'bitfield-spare-bits' }
  /**
   * Sends a block of piece 0 between its bitfield and its unchoke: before the unchoke the victim
   * cannot have asked for it (no Fast extension here), however it picks its first pieces.
   */
  | { readonly kind: 'unrequested-block' }
  /** Answers the handshake with another torrent's info hash. */
  | { readonly kind: 'wrong-info-hash' }
  /** Sends 68 bytes of an HTTP request instead of a handshake, as soon as it is dialled. */
  | { readonly kind: 'garbage-handshake' }
  /** Sends `count` (default 100,000) keep-alives as fast as the socket takes them. */
  | { readonly kind: 'keepalive-flood'; readonly count?: number }
  /** Accepts the connection and never sends a byte. */
  | { readonly kind: 'silent' };

export interface HostilePeerOptions {
  readonly infoHash: Uint8Array;
  readonly pieceCount: number;
  readonly behaviour: HostileBehaviour;
  /** The torrent's bytes (all files, concatenated) and piece length, to serve real blocks. */
  readonly content?: { readonly data: Uint8Array; readonly pieceLength: number };
}

export interface HostilePeer {
  readonly address: PeerAddress;
  /** Connections accepted so far. */
  readonly connections: number;
  /** What the other side sent, in order: `handshake`, `interested`, `request 0:0:16384`, … */
  readonly received: readonly string[];
  /** Bytes this peer wrote, over every connection. */
  readonly bytesWritten: number;
  /** Resolves once `n` connections have been accepted and closed again. */
  closedConnections(n: number): Promise<void>;
  close(): Promise<void>;
}

const PEER_ID = new TextEncoder().encode('-HO0001-hostilepeer!');
const CHUNK = 64 * 1024;

export async function startHostilePeer(options: HostilePeerOptions): Promise<HostilePeer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const received: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let connections = 0;
  let closed = 0;
  let bytesWritten = 0;

  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined); // the victim hanging up on us is the point
    socket.once('close', () => {
      sockets.delete(socket);
      closed += 1;
      for (const w of waiters.splice(0)) {
        if (closed >= w.n) w.resolve();
        else waiters.push(w);
      }
    });
    const peer = new Script(socket, options, {
      later: (ms, work) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!socket.destroyed) work();
        }, ms);
        timers.add(timer);
      },
      log: (line) => received.push(line),
      wrote: (n) => {
        bytesWritten += n;
      },
    });
    peer.start();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = { host: '127.0.0.1', port: boundPort(server) };

  return {
    address,
    get connections() {
      return connections;
    },
    received,
    get bytesWritten() {
      return bytesWritten;
    },
    closedConnections: (n) => new Promise<void>((resolve) => {
      if (closed >= n) resolve();
      else waiters.push({ n, resolve });
    }),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ScriptDeps {
  later(ms: number, work: () => void): void;
  log(line: string): void;
  wrote(bytes: number): void;
}

/** One connection's script: the honest opening, then the behaviour. */
class Script {
  private answered = false;
  private readonly pending: RequestMessage[] = [];

  constructor(
    private readonly socket: net.Socket,
    private readonly options: HostilePeerOptions,
    private readonly deps: ScriptDeps,
  ) {}

  start(): void {
    const { kind } = this.options.behaviour;
    if (kind === 'garbage-handshake' || kind === 'silent') {
      // Read and drop what arrives, or we would never see the victim hang up.
      this.socket.resume();
      if (kind === 'silent') return;
      this.write(new TextEncoder().encode('GET /announce?info_hash=%13BitTorrent HTTP/1.1\r\nHost: x\r\n\r\n'.padEnd(68, ' ')));
      return;
    }
    const decoder = new FrameDecoder((event) => this.onFrame(event), { handshake: true, maxPieceCount: this.options.pieceCount });
    this.socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch {
        this.socket.destroy();
      }
    });
  }

  private onFrame(event: FrameEvent): void {
    this.deps.log(describe(event));
    if (event.type === 'handshake') return this.opening();
    if (event.type === 'request') this.onRequest(event);
  }

  /** Our handshake, then (unless the behaviour says otherwise) a full bitfield and unchoke. */
  private opening(): void {
    const { behaviour, pieceCount } = this.options;
    const infoHash = behaviour.kind === 'wrong-info-hash' ? this.options.infoHash.map((b) => b ^ 0xff) : this.options.infoHash;
    this.write(encodeHandshake({ infoHash, peerId: PEER_ID, reserved: encodeReserved({}) }));
    const size = Math.ceil(pieceCount / 8);
    switch (behaviour.kind) {
      case 'bitfield-wrong-size':
        return this.send(encodeMessage({ type: 'bitfield', bits: new Uint8Array(size + behaviour.delta).fill(0xff) }));
      case 'bitfield-spare-bits':
        return this.send(encodeMessage({ type: 'bitfield', bits: new Uint8Array(size).fill(0xff) }));
      default:
        break;
    }
    // An unrequested block goes before the unchoke: until then the victim cannot have asked for it.
    const beforeUnchoke = behaviour.kind === 'unrequested-block'
      ? [encodeMessage({ type: 'piece', index: 0, begin: 0, block: this.blockOf(0, 0, 16 * 1024) })]
      : [];
    this.write(encodeMessage({ type: 'bitfield', bits: fullBitfield(pieceCount) }), ...beforeUnchoke, encodeMessage({ type: 'unchoke' }));
    switch (behaviour.kind) {
      case 'have-out-of-range':
        return this.send(encodeMessage({ type: 'have', index: pieceCount + 7 }));
      case 'request-out-of-range':
        return this.send(encodeMessage({ type: 'request', index: pieceCount, begin: 0, length: 16 * 1024 }));
      case 'huge-length': {
        const prefix = new Uint8Array(5);
        new DataView(prefix.buffer).setUint32(0, behaviour.length ?? 2 ** 32 - 16);
        prefix[4] = 7; // a piece, so the victim cannot skip it as unknown
        this.write(prefix);
        return this.pump(new Uint8Array(CHUNK).fill(0xee), Math.ceil((behaviour.junkBytes ?? 256 * 1024 * 1024) / CHUNK));
      }
      case 'stall':
        if (behaviour.keepAliveMs !== undefined) this.keepAlive(behaviour.keepAliveMs);
        return;
      case 'keepalive-flood': {
        const batch = 1024;
        return this.pump(new Uint8Array(4 * batch), Math.ceil((behaviour.count ?? 100_000) / batch));
      }
      default:
        return;
    }
  }

  private onRequest(r: RequestMessage): void {
    const { behaviour } = this.options;
    switch (behaviour.kind) {
      case 'corrupt-blocks': {
        const good = this.blockOf(r.index, r.begin, r.length);
        return this.send(encodeMessage({ type: 'piece', index: r.index, begin: r.begin, block: good.map((b) => b ^ 0x5a) }));
      }
      case 'drop-mid-piece':
        if (this.answered) return;
        this.pending.push(r);
        // Requests come in a burst: answer half of that burst, then hang up.
        if (this.pending.length === 1) setImmediate(() => this.dropMidPiece(behaviour.midBlock === true));
        return;
      case 'slow-loris': {
        if (this.answered) return;
        this.answered = true;
        const message = encodeMessage({ type: 'piece', index: r.index, begin: r.begin, block: this.blockOf(r.index, r.begin, r.length) });
        return this.drip(message, 0, behaviour.intervalMs ?? 1_000);
      }
      default:
        return; // stall and the rest: requests are never answered
    }
  }

  private dropMidPiece(midBlock: boolean): void {
    if (this.socket.destroyed) return;
    this.answered = true;
    const half = this.pending.slice(0, Math.max(1, Math.floor(this.pending.length / 2)));
    for (const r of half) this.write(encodeMessage({ type: 'piece', index: r.index, begin: r.begin, block: this.blockOf(r.index, r.begin, r.length) }));
    if (midBlock) {
      const r = this.pending[half.length] ?? this.pending[0];
      if (r !== undefined) {
        const whole = encodeMessage({ type: 'piece', index: r.index, begin: r.begin, block: this.blockOf(r.index, r.begin, r.length) });
        this.write(whole.subarray(0, 13 + Math.floor(r.length / 2)));
      }
    }
    this.socket.end();
  }

  private keepAlive(intervalMs: number): void {
    this.deps.later(intervalMs, () => {
      this.write(new Uint8Array(4));
      this.keepAlive(intervalMs);
    });
  }

  private drip(message: Uint8Array, at: number, intervalMs: number): void {
    if (at >= message.length) return;
    this.write(message.subarray(at, at + 1));
    this.deps.later(intervalMs, () => this.drip(message, at + 1, intervalMs));
  }

  /** Writes `chunk` `times` times, waiting for `drain`; stops when the victim hangs up. */
  private pump(chunk: Uint8Array, times: number): void {
    let left = times;
    const next = (): void => {
      while (left > 0 && !this.socket.destroyed && this.socket.writable) {
        left -= 1;
        if (!this.write(chunk)) {
          this.socket.once('drain', next);
          return;
        }
      }
    };
    next();
  }

  private send(...chunks: Uint8Array[]): void {
    this.write(...chunks);
  }

  /** Writes each chunk; false when the socket wants a `drain` (or is gone). */
  private write(...chunks: Uint8Array[]): boolean {
    let ok = true;
    for (const chunk of chunks) {
      if (this.socket.destroyed || !this.socket.writable) return false;
      ok = this.socket.write(chunk);
      this.deps.wrote(chunk.length);
    }
    return ok;
  }

  private blockOf(index: number, begin: number, length: number): Uint8Array {
    const content = this.options.content;
    if (content === undefined) return new Uint8Array(length).fill((index * 31 + begin) & 0xff);
    const start = index * content.pieceLength + begin;
    return content.data.slice(start, start + length);
  }
}

function fullBitfield(pieceCount: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(pieceCount / 8)).fill(0xff);
  const spare = bits.length * 8 - pieceCount;
  if (spare > 0) bits[bits.length - 1] = (0xff << spare) & 0xff;
  return bits;
}

function describe(event: FrameEvent | PeerMessage): string {
  switch (event.type) {
    case 'request':
    case 'cancel':
    case 'reject':
      return `${event.type} ${event.index}:${event.begin}:${event.length}`;
    case 'piece':
      return `piece ${event.index}:${event.begin}:${event.block.length}`;
    case 'have':
      return `have ${event.index}`;
    default:
      return event.type;
  }
}
