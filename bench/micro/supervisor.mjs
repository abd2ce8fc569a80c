// Supervisor events per second: one `supervisor()` (src/torrent/supervisor.ts: Swarm, picker,
// choker, peer directory) downloads a 1 GiB torrent (4,096 pieces × 16 blocks of 16 KiB) from 10
// and then from 1,000 simulated seeders, in virtual time: no sockets, no real timers, the same
// run every time. Against it: the same number of events pushed through a plain `Subject` into a
// function, the least any RxJS actor must do per event. The question is whether the cost per
// event (and per block) grows with the number of peers.
//
// A fake seeder behaves like `peerSession` at its boundary: handshake, bitfield (every piece),
// unchoke, `want 5` (the session's minimum pipeline); each `request` is answered on the next
// virtual millisecond with a `block` followed by `want 1`, as the real session refills its
// pipeline. The fake store verifies every piece at once and writes it synchronously.
// Run: node bench/micro/supervisor.mjs  (after `npm run build`). `node --expose-gc …` measures the
// heap after a GC; `node --cpu-prof bench/micro/supervisor.mjs 1000` runs (and profiles) one size.
import { Observable, Subject, VirtualTimeScheduler, of } from 'rxjs';
import { Bitfield, supervisor } from '../../dist/index.js';

const PIECES = 4096;
const BLOCK = 16 * 1024;
const PIECE = 16 * BLOCK;
const PIPELINE = 5;
const MiB = 2 ** 20;

// Content never matters (verify always says yes): one block and one piece buffer serve all.
const blockData = new Uint8Array(BLOCK).fill(7);
const pieceBuffer = new Uint8Array(PIECE);
const verified$ = of(true);
const written$ = of(undefined);
const store = {
  allocate: () => pieceBuffer,
  verify: () => verified$,
  write: () => written$,
  read: (_index, _begin, length) => of(new Uint8Array(length)),
};

const heapMiB = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / MiB;
};

/** One download from `peerCount` seeders; counts what crosses the session boundary both ways. */
function download(peerCount) {
  const scheduler = new VirtualTimeScheduler();
  let due = []; // seeders with requests to answer on the next virtual ms
  const count = { events: 0, commands: 0, have: 0 };

  // `deps.session`: a seeder that subscribes `commands$` before its handshake, as the real one.
  const session = (input) => new Observable((subscriber) => {
    const emit = (event) => {
      count.events += 1;
      subscriber.next(event);
    };
    const peer = {
      pending: [],
      answer() {
        const requests = peer.pending;
        peer.pending = [];
        for (const { index, begin } of requests) {
          if (subscriber.closed) return;
          emit({ type: 'block', index, begin, data: blockData });
          emit({ type: 'want', count: 1 });
        }
      },
    };
    const commands = input.commands$.subscribe({
      next: (command) => {
        count.commands += 1;
        switch (command.type) {
          case 'request':
          case 'requests': { // `requests`: a pipeline top-up, several requests in one command
            const requests = command.type === 'requests' ? command.requests : [command];
            if (peer.pending.length === 0 && requests.length > 0) due.push(peer);
            peer.pending.push(...requests);
            return;
          }
          case 'cancel': { // endgame: the block came from another peer first
            const at = peer.pending.findIndex((r) => r.index === command.index && r.begin === command.begin);
            if (at >= 0) peer.pending.splice(at, 1);
            return;
          }
          case 'have':
            count.have += 1;
            return;
          case 'close':
            emit({ type: 'closed', reason: { kind: 'local-close' } });
            subscriber.complete();
            return;
          default:
            return; // interested, choke, unchoke: nothing to answer
        }
      },
      error: () => undefined,
    });
    const peerId = new Uint8Array(20);
    new DataView(peerId.buffer).setUint32(16, input.peer.address.port);
    emit({ type: 'handshake', peerId, extensions: { fast: false, extended: false, dht: false } });
    emit({ type: 'bitfield', pieces: Bitfield.full(PIECES) });
    emit({ type: 'unchoked' });
    emit({ type: 'want', count: PIPELINE });
    return () => {
      commands.unsubscribe();
      peer.pending = [];
    };
  });

  // Every peer on its own port of one host: keys are `host:port`.
  const candidates$ = new Observable((out) => {
    for (let n = 0; n < peerCount; n += 1) out.next({ kind: 'dial', address: { host: '10.0.0.1', port: 10_000 + n } });
  });
  const input = {
    infoHash: new Uint8Array(20).fill(7),
    ourPeerId: new Uint8Array(20).fill(1),
    pieceCount: PIECES,
    pieceLength: () => PIECE,
    have: new Bitfield(PIECES),
    candidates$,
    options: { maxPeers: peerCount },
  };
  const deps = { scheduler, random: mulberry32(1), session, store };

  const heapBefore = heapMiB();
  let done = false;
  let failure;
  let verifiedPieces = 0;
  const start = performance.now();
  supervisor(input, deps).subscribe({
    next: (event) => {
      if (event.type === 'piece-verified') verifiedPieces += 1;
    },
    error: (error) => {
      failure = error;
    },
    complete: () => {
      done = true;
    },
  });
  let ms = 0;
  while (!done) {
    if (failure !== undefined) throw failure;
    if (due.length === 0) throw new Error(`stalled at ${ms} virtual ms with ${verifiedPieces} pieces verified`);
    ms += 1;
    // Timers first (stats, choker, redials), then the seeders' answers, all at virtual time `ms`.
    scheduler.frame = ms;
    scheduler.maxFrames = ms;
    scheduler.flush();
    scheduler.frame = ms;
    const answering = due;
    due = [];
    for (const peer of answering) peer.answer();
  }
  const seconds = (performance.now() - start) / 1000;
  if (verifiedPieces !== PIECES) throw new Error(`${verifiedPieces} of ${PIECES} pieces verified`);
  const handled = count.events + count.commands;
  return {
    peers: peerCount, pieces: PIECES, blocks: PIECES * 16, virtualMs: ms, ...count, handled, seconds,
    eventsPerSec: handled / seconds, nsPerEvent: (seconds * 1e9) / handled, usPerBlock: (seconds * 1e6) / (PIECES * 16),
    heapBefore, heapAfter: heapMiB(),
  };
}

/** The floor: `n` fresh event objects through a `Subject` into a function that switches on type. */
function baseline(n) {
  const subject = new Subject();
  let blocks = 0;
  subject.subscribe({
    next: (event) => {
      if (event.type === 'block') blocks += event.begin >= 0 ? 1 : 0;
    },
    error: () => undefined,
  });
  const start = performance.now();
  for (let i = 0; i < n; i += 1) subject.next({ type: 'block', index: i >>> 4, begin: (i & 15) * BLOCK, data: blockData });
  const seconds = (performance.now() - start) / 1000;
  if (blocks !== n) throw new Error('baseline lost events');
  return { handled: n, seconds, eventsPerSec: n / seconds, nsPerEvent: (seconds * 1e9) / n };
}

/** A small seeded PRNG: `deps.random` must not make two runs differ. */
function mulberry32(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The median of 3 runs by wall time (the first also warms up the JIT). */
function median(run) {
  const runs = [run(), run(), run()].sort((a, b) => a.seconds - b.seconds);
  return runs[1];
}

const sizes = process.argv[2] === undefined ? [10, 1000] : [Number(process.argv[2])];
const rows = sizes.map((peers) => median(() => download(peers)));
const floor = median(() => baseline(Math.max(...rows.map((row) => row.handled))));

console.log(`supervisor: ${PIECES} pieces × 16 blocks of 16 KiB (1 GiB), seeders answer each request on the next virtual ms, median of 3`);
const gcNote = globalThis.gc ? '' : ' (no GC first: run with --expose-gc)';
console.log(`   peers  virtual ms  peer events   commands  (of which have)  wall s  k events/s  ns/event  µs/block  heap MiB before → after${gcNote}`);
for (const r of rows) {
  console.log(
    `  ${String(r.peers).padStart(6)}  ${String(r.virtualMs).padStart(10)}  ${String(r.events).padStart(11)}  ${String(r.commands).padStart(9)}` +
    `  ${String(r.have).padStart(15)}  ${r.seconds.toFixed(2).padStart(6)}  ${(r.eventsPerSec / 1e3).toFixed(0).padStart(10)}` +
    `  ${r.nsPerEvent.toFixed(0).padStart(8)}  ${r.usPerBlock.toFixed(1).padStart(8)}  ${r.heapBefore.toFixed(0).padStart(9)} → ${r.heapAfter.toFixed(0)}`,
  );
}
console.log(`  Subject → function: ${(floor.eventsPerSec / 1e6).toFixed(1)} M events/s (${floor.nsPerEvent.toFixed(0)} ns/event, ${floor.handled} events)`);
const [small, large] = [rows[0], rows[rows.length - 1]];
console.log(`  supervisor / Subject, ns per event: ${rows.map((r) => `${r.peers} peers ${(r.nsPerEvent / floor.nsPerEvent).toFixed(0)}×`).join(', ')};` +
  ` µs per block, ${large.peers} / ${small.peers} peers: ${(large.usPerBlock / small.usPerBlock).toFixed(2)}×`);
console.log(JSON.stringify({ bench: 'supervisor', rows, baseline: floor }));
