// Disk pool write rate (src/io/disk-pool.ts, the client's one pool) vs a plain sequential write
// of the same bytes with one FileHandle, 16 KiB blocks and 1 MiB pieces, to a temp folder that
// is removed afterwards. Both end with the data in the page cache (no fsync), as a download does.
// Run: node bench/micro/disk.mjs  (after `npm run build`)
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, mergeMap, count } from 'rxjs';
import { createDiskPool } from '../../dist/index.js';

const TOTAL = 512 * 2 ** 20;
const dir = await mkdtemp(join(tmpdir(), 'rxtorrent-disk-bench-'));
const rows = [];
try {
  for (const unit of [16 * 1024, 2 ** 20]) {
    const data = Buffer.alloc(unit, 0x5a);
    const offsets = Array.from({ length: TOTAL / unit }, (_, i) => i * unit);
    const plain = async (name) => {
      const handle = await open(join(dir, name), 'w');
      for (const at of offsets) await handle.write(data, 0, unit, at);
      await handle.close();
    };
    const pooled = async (name) => {
      const pool = createDiskPool();
      await lastValueFrom(from(offsets).pipe(
        mergeMap((at) => pool.write({ torrentId: 'bench', root: dir, segments: [{ path: [name], fileLength: TOTAL, fileOffset: at, data }] }), 16),
        count(),
      ));
      await pool.close();
    };
    for (const [label, fn] of [['plain sequential write', plain], ['disk pool (16 in flight)', pooled]]) {
      const runs = [];
      for (let i = 0; i < 3; i += 1) {
        const name = `f-${unit}-${label.length}-${i}`;
        const start = process.hrtime.bigint();
        await fn(name);
        runs.push(Number(process.hrtime.bigint() - start) / 1e9);
        await rm(join(dir, name), { force: true });
      }
      runs.sort((a, b) => a - b);
      rows.push({ name: `${label}, ${unit / 1024} KiB writes`, mbps: TOTAL / 1e6 / runs[1] });
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(`disk: ${TOTAL / 2 ** 20} MiB, median of 3`);
for (const row of rows) console.log(`  ${row.name.padEnd(44)} ${row.mbps.toFixed(0).padStart(6)} MB/s`);
console.log(JSON.stringify({ bench: 'disk', rows }));
