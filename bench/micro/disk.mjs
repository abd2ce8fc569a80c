// Disk pool write rate (src/io/disk-pool.ts, the client's one pool) vs a plain sequential write
// of the same bytes with one FileHandle, 16 KiB blocks and 1 MiB pieces, to a temp folder that
// is removed afterwards; wall-clock rate and CPU (user + system, all threads) per GiB.
// - plain, page cache: the write a simple client does (no fsync);
// - plain, O_DIRECT: the same from a page-aligned buffer, past the page cache (the device path);
// - disk pool: the client's path, which writes aligned runs with O_DIRECT (docs/disk.md), from a
//   page-aligned buffer (as the client's piece buffers are) and with `directWrites: false`.
// Run: node bench/micro/disk.mjs  (after `npm run build`)
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, mergeMap, count } from 'rxjs';
import { allocateAligned, createDiskPool, createFileStorage } from '../../dist/index.js';

const TOTAL = 512 * 2 ** 20;
const dir = await mkdtemp(join(tmpdir(), 'rxtorrent-disk-bench-'));
const rows = [];
try {
  for (const unit of [16 * 1024, 2 ** 20]) {
    const data = allocateAligned(unit).fill(0x5a);
    const offsets = Array.from({ length: TOTAL / unit }, (_, i) => i * unit);
    const plain = (flags) => async (name) => {
      const handle = await open(join(dir, name), constants.O_WRONLY | constants.O_CREAT | flags);
      for (const at of offsets) await handle.write(data, 0, unit, at);
      await handle.close();
    };
    const pooled = (directWrites) => async (name) => {
      const pool = createDiskPool({ storage: (root) => createFileStorage({ root, directWrites }) });
      await lastValueFrom(from(offsets).pipe(
        mergeMap((at) => pool.write({ torrentId: 'bench', root: dir, segments: [{ path: [name], fileLength: TOTAL, fileOffset: at, data }] }), 16),
        count(),
      ));
      await pool.close();
    };
    const variants = [
      ['plain sequential write, page cache', plain(0)],
      ['plain sequential write, O_DIRECT', plain(constants.O_DIRECT ?? 0)],
      ['disk pool (16 in flight), direct writes', pooled(true)],
      ['disk pool (16 in flight), page cache', pooled(false)],
    ];
    for (const [label, fn] of variants) {
      const runs = [];
      for (let i = 0; i < 3; i += 1) {
        const name = `f-${unit}-${label.length}-${i}`;
        const cpu = process.cpuUsage();
        const start = process.hrtime.bigint();
        await fn(name);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const used = process.cpuUsage(cpu);
        runs.push({ seconds, cpu: (used.user + used.system) / 1e6 });
        await rm(join(dir, name), { force: true });
      }
      runs.sort((a, b) => a.seconds - b.seconds);
      const median = runs[1];
      rows.push({ name: `${label}, ${unit / 1024} KiB writes`, mbps: TOTAL / 1e6 / median.seconds, cpuPerGiB: (median.cpu * 2 ** 30) / TOTAL });
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(`disk: ${TOTAL / 2 ** 20} MiB, median of 3`);
for (const row of rows) console.log(`  ${row.name.padEnd(52)} ${row.mbps.toFixed(0).padStart(6)} MB/s  ${row.cpuPerGiB.toFixed(2)} CPU s/GiB`);
console.log(JSON.stringify({ bench: 'disk', rows }));
