import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, forkJoin, lastValueFrom } from 'rxjs';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HashError } from '../../src/io/hash-error.js';
import { type HashPool, allocatePieceBuffer, createHashPool } from '../../src/io/hash-pool.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nodeSha1 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(data).digest());
const SIZES = [0, 1, 63, 64, 65, 1000, 16 * 1024, 256 * 1024 + 7, 1024 * 1024, 4 * 1024 * 1024];

let pools: HashPool[] = [];
const pool = (...args: Parameters<typeof createHashPool>): HashPool => {
  const created = createHashPool(...args);
  pools.push(created);
  return created;
};

afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

describe.each(['workers', 'subtle'] as const)('createHashPool (%s)', (engine) => {
  it('matches node:crypto for random pieces of many sizes, including 0 bytes', async () => {
    const hashes = pool({ engine, size: 2 });
    for (const size of SIZES) {
      const data = new Uint8Array(randomBytes(size));
      expect(await firstValueFrom(hashes.sha1(data)), `size ${size}`).toEqual(nodeSha1(data));
    }
  });

  it('hashes exactly the view it is given, not the rest of its buffer', async () => {
    const hashes = pool({ engine, size: 1 });
    const whole = new Uint8Array(randomBytes(100_000));
    const view = whole.subarray(1234, 1234 + 50_000);
    expect(await firstValueFrom(hashes.sha1(view))).toEqual(nodeSha1(view));
    expect(whole).toHaveLength(100_000);
    expect(view.byteLength).toBe(50_000);
  });

  it('verify() says true for the right digest and false for a wrong one', async () => {
    const hashes = pool({ engine });
    const data = new Uint8Array(randomBytes(300_000));
    const digest = nodeSha1(data);
    const wrong = digest.slice();
    wrong[19] = (wrong[19] ?? 0) ^ 1;
    expect(await firstValueFrom(hashes.verify(data, digest))).toBe(true);
    expect(await firstValueFrom(hashes.verify(data, wrong))).toBe(false);
    expect(await firstValueFrom(hashes.verify(data, digest.subarray(0, 10)))).toBe(false);
  });

  it('errors with closed after close()', async () => {
    const hashes = pool({ engine });
    await hashes.close();
    const error: unknown = await firstValueFrom(hashes.sha1(new Uint8Array(4))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HashError);
    expect(error instanceof HashError && error.detail).toEqual({ kind: 'closed' });
  });
});

describe('createHashPool (workers)', () => {
  it('completes many concurrent jobs, more than there are workers, each with its own digest', async () => {
    const hashes = pool({ size: 2 });
    const pieces = Array.from({ length: 200 }, (_, i) => new Uint8Array(randomBytes(1 + ((i * 7919) % 70_000))));
    const digests = await lastValueFrom(forkJoin(pieces.map((piece) => hashes.sha1(piece))));
    expect(digests).toEqual(pieces.map(nodeSha1));
    expect(hashes.stats()).toMatchObject({ queued: 0, running: 0, workers: 2, hashed: 200 });
  });

  it('warm() starts every worker before any job, once, and none after close()', async () => {
    const hashes = pool({ size: 2 });
    expect(hashes.stats().workers).toBe(0);
    hashes.warm();
    expect(hashes.stats()).toMatchObject({ workers: 2, running: 0, hashed: 0 });
    hashes.warm();
    expect(hashes.stats().workers).toBe(2);
    expect(await firstValueFrom(hashes.sha1(new TextEncoder().encode('abc')))).toEqual(nodeSha1(new TextEncoder().encode('abc')));
    expect(hashes.stats()).toMatchObject({ workers: 2, hashed: 1 });

    const closed = pool({ size: 2 });
    await closed.close();
    closed.warm();
    expect(closed.stats().workers).toBe(0);
  });

  it('shares a piece on a SharedArrayBuffer without copying it, and hashes it correctly', async () => {
    const hashes = pool({ size: 1 });
    const piece = allocatePieceBuffer(1024 * 1024 + 3);
    piece.set(randomBytes(piece.length));
    expect(piece.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(await firstValueFrom(hashes.sha1(piece))).toEqual(nodeSha1(piece));
    expect(await firstValueFrom(hashes.sha1(piece.subarray(5, 100)))).toEqual(nodeSha1(piece.subarray(5, 100)));
  });

  it('drops a job that is unsubscribed before it starts', async () => {
    const hashes = pool({ size: 1 });
    const busy = new Uint8Array(randomBytes(8 * 1024 * 1024));
    const later = new Uint8Array(randomBytes(1000));
    const first = firstValueFrom(hashes.sha1(busy));
    const dropped = hashes.sha1(new Uint8Array(1000)).subscribe({ error: () => undefined });
    const third = firstValueFrom(hashes.sha1(later));
    expect(hashes.stats()).toMatchObject({ queued: 2, running: 1 });
    dropped.unsubscribe();
    expect(hashes.stats()).toMatchObject({ queued: 1, running: 1 });
    expect(await first).toEqual(nodeSha1(busy));
    expect(await third).toEqual(nodeSha1(later));
    expect(hashes.stats().hashed).toBe(2);
  });

  it('fails queued and running jobs with closed when closed, and ends every worker', async () => {
    const hashes = pool({ size: 1 });
    const running = firstValueFrom(hashes.sha1(new Uint8Array(16 * 1024 * 1024))).catch((e: unknown) => e);
    const queued = firstValueFrom(hashes.sha1(new Uint8Array(10))).catch((e: unknown) => e);
    await hashes.close();
    for (const error of [await running, await queued]) {
      expect(error instanceof HashError && error.detail.kind).toBe('closed');
    }
    expect(hashes.stats().workers).toBe(0);
  });
});

describe('a process using the hash pool', () => {
  let dir = '';

  // The child runs the pool as plain JS, the way it runs from dist/: transpile the three modules.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxtorrent-hash-'));
    await mkdir(join(dir, 'io'));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
    await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const name of ['io/hash-pool', 'io/hash-worker', 'io/hash-error', 'rx']) {
      const source = await readFile(join(repo, 'src', `${name}.ts`), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      await writeFile(join(dir, `${name}.js`), outputText);
    }
  });

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const runChild = async (body: string): Promise<{ code: number | null; stdout: string }> => {
    const script = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
    await writeFile(script, `import { createHashPool } from './io/hash-pool.js';\n${body}\n`);
    return new Promise((done) => {
      // A child that hangs on a worker is killed after 20 s and fails the test.
      execFile(process.execPath, [script], { timeout: 20_000 }, (error, stdout) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout });
      });
    });
  };

  const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');
  const abc = hex(nodeSha1(new TextEncoder().encode('abc')));

  it('exits on its own after close()', async () => {
    const result = await runChild(`
      const pool = createHashPool({ size: 2 });
      pool.sha1(new TextEncoder().encode('abc')).subscribe({
        next: (d) => console.log(Buffer.from(d).toString('hex')),
        error: (e) => { console.error(e); process.exitCode = 1; },
        complete: () => { void pool.close(); },
      });`);
    expect(result).toEqual({ code: 0, stdout: `${abc}\n` });
  });

  it('exits on its own with warmed workers that never got a job', async () => {
    const result = await runChild(`
      const pool = createHashPool({ size: 2 });
      pool.warm();
      console.log(pool.stats().workers);`);
    expect(result).toEqual({ code: 0, stdout: '2\n' });
  });

  it('exits on its own with idle workers, without close()', async () => {
    const result = await runChild(`
      const pool = createHashPool({ size: 2 });
      pool.sha1(new TextEncoder().encode('abc')).subscribe({
        next: (d) => console.log(Buffer.from(d).toString('hex')),
        error: (e) => { console.error(e); process.exitCode = 1; },
      });`);
    expect(result).toEqual({ code: 0, stdout: `${abc}\n` });
  });
});
