// SHA-1 throughput: Node's crypto on the main thread (one core) vs rxtorrent's hash pool
// (src/io/hash-pool.ts: worker threads, one per core by default), on 1 MiB pieces, plain
// buffers (copied into the worker's scratch) and SharedArrayBuffer pieces (no copy).
// Run: node bench/micro/hash.mjs  (after `npm run build`)
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { from, lastValueFrom, mergeMap, count } from 'rxjs';
import { allocatePieceBuffer, createHashPool } from '../../dist/index.js';

const PIECE = 2 ** 20;
const PIECES = 256;
const plain = Array.from({ length: PIECES }, (_, i) => Buffer.alloc(PIECE, i));
const shared = plain.map((piece) => {
  const buffer = allocatePieceBuffer(PIECE);
  buffer.set(piece);
  return buffer;
});
const bytes = PIECE * PIECES;

async function time(fn) {
  await fn();
  const runs = [];
  for (let i = 0; i < 3; i += 1) {
    const start = process.hrtime.bigint();
    await fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  runs.sort((a, b) => a - b);
  return bytes / 1e6 / runs[1];
}

const rows = [];
rows.push({ name: 'node sha1, main thread', mbps: await time(async () => { for (const p of plain) createHash('sha1').update(p).digest(); }) });
for (const size of [1, availableParallelism()]) {
  const pool = createHashPool({ size });
  for (const [kind, pieces] of [['plain', plain], ['shared', shared]]) {
    rows.push({
      name: `hash pool, ${size} worker${size > 1 ? 's' : ''}, ${kind}`,
      mbps: await time(() => lastValueFrom(from(pieces).pipe(mergeMap((p) => pool.sha1(p), 2 * size), count()))),
    });
  }
  await pool.close();
}
console.log(`hash: ${PIECES} × 1 MiB pieces, median of 3`);
for (const row of rows) console.log(`  ${row.name.padEnd(34)} ${row.mbps.toFixed(0).padStart(6)} MB/s  (${(row.mbps / rows[0].mbps).toFixed(2)}× one core)`);
console.log(JSON.stringify({ bench: 'hash', rows }));
