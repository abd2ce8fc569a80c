// frames() decode rate vs two plain scans of the same bytes: a header scan (read each length
// prefix, jump over the frame: the least any framer must do) and a byte scan (touch every byte). The stream is what a leecher gets
// from a seeder: 16 KiB `piece` messages, cut into 64 KiB socket-sized chunks at any offset.
// Run: node bench/micro/frames.mjs  (after `npm run build`)
import { from, lastValueFrom, count } from 'rxjs';
import { encodeMessage, frames } from '../../dist/index.js';

const MiB = 2 ** 20;
const total = 256 * MiB;
const block = new Uint8Array(16 * 1024).fill(7);
const one = encodeMessage({ type: 'piece', index: 0, begin: 0, block });
const stream = Buffer.alloc(Math.floor(total / one.length) * one.length);
for (let at = 0; at < stream.length; at += one.length) stream.set(one, at);
const chunks = [];
for (let at = 0; at < stream.length; at += 65536) chunks.push(stream.subarray(at, Math.min(at + 65536, stream.length)));

function plainScan() {
  let messages = 0;
  let need = 0; // bytes of the current frame still to skip
  let header = 0;
  let headerBytes = 0;
  for (const chunk of chunks) {
    let i = 0;
    while (i < chunk.length) {
      if (need > 0) {
        const step = Math.min(need, chunk.length - i);
        need -= step;
        i += step;
        continue;
      }
      header = (header << 8) | chunk[i];
      i += 1;
      headerBytes += 1;
      if (headerBytes === 4) {
        need = header >>> 0;
        header = 0;
        headerBytes = 0;
        messages += 1;
      }
    }
  }
  return messages;
}

// Touches every byte once: the cost of any parser that looks at all the data.
function byteScan() {
  let acc = 0;
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i += 1) acc ^= chunk[i];
  return acc === 256 ? -1 : chunks.length;
}

async function decode() {
  return lastValueFrom(from(chunks).pipe(frames(), count()));
}

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return Promise.resolve(result).then((value) => ({ value, seconds: Number(process.hrtime.bigint() - start) / 1e9 }));
}

const rows = [];
for (const [name, fn] of [['header scan', plainScan], ['byte scan', byteScan], ['frames()', decode]]) {
  await time(fn); // warm up
  const best = [];
  for (let i = 0; i < 5; i += 1) best.push(await time(fn));
  best.sort((a, b) => a.seconds - b.seconds);
  const { value, seconds } = best[2];
  rows.push({ name, result: value, mbps: stream.length / 1e6 / seconds, msgsPerSec: stream.length / one.length / seconds });
}
console.log(`frames: ${(stream.length / MiB).toFixed(0)} MiB of 16 KiB piece messages in 64 KiB chunks (median of 5)`);
for (const row of rows) {
  console.log(`  ${row.name.padEnd(12)} ${row.mbps.toFixed(0).padStart(7)} MB/s  ${(row.msgsPerSec / 1e3).toFixed(0).padStart(6)} k msg/s`);
}
console.log(`  frames() / header scan: ${(rows[2].mbps / rows[0].mbps).toFixed(3)}×, frames() / byte scan: ${(rows[2].mbps / rows[1].mbps).toFixed(2)}×`);
console.log(JSON.stringify({ bench: 'frames', rows }));
