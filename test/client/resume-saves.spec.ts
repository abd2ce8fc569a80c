import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ResumeSaver, resumeSaves } from '../../src/client/resume-saves.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import { type ResumeStore, type SaveMode, createResumeStore } from '../../src/io/resume-store.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { Bitfield } from '../../src/pieces/bitfield.js';

const PIECE = 16_384;
const TICK_MS = 10;
let work = '';
let content = '';
let meta: Metainfo;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-resume-saves-'));
  content = join(work, 'content');
  await mkdir(join(content, 'pack'), { recursive: true });
  await writeFile(join(content, 'pack', 'a.bin'), randomBytes(3 * PIECE + 5));
  const events = await lastValueFrom(createTorrent(join(content, 'pack'), { pieceLength: PIECE }).pipe(toArray()));
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error('no torrent');
  meta = done.metainfo;
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The real store on a temporary folder, counting the saves that reach it and their modes. */
function countingSaver(store: ResumeStore): ResumeSaver & { saves: number; saved: number; failures: number; modes: SaveMode[] } {
  const saver = {
    interval: TICK_MS,
    saves: 0,
    saved: 0,
    failures: 0,
    modes: [] as SaveMode[],
    save: async (have: Bitfield, mode: SaveMode): Promise<void> => {
      saver.saves += 1;
      try {
        await store.save(meta, content, have, mode);
        saver.saved += 1;
        saver.modes.push(mode);
      } catch (error) {
        saver.failures += 1;
        throw error;
      }
    },
  };
  return saver;
}

/** The real store on a temporary folder, in a boot whose id is 'this-boot'. */
const thisBootStore = (): ResumeStore => createResumeStore({ dir: join(work, 'state'), bootId: async () => 'this-boot' });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += TICK_MS) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(TICK_MS);
  }
}

describe('resumeSaves', () => {
  it('saves light when `have` changed, durably once it stays the same, then not at all', async () => {
    const store = thisBootStore();
    const saver = countingSaver(store);
    const have = new Bitfield(meta.pieceCount);
    have.set(0);
    const running = resumeSaves(have, saver, asyncScheduler).subscribe();
    try {
      await until(() => saver.saved === 2, 'the first two saves');
      await sleep(30 * TICK_MS);
      expect(saver.modes).toEqual(['light', 'durable']);
      expect(saver.saves).toBe(2);
      expect((await store.read(meta))?.boot).toBeUndefined();
      expect((await store.load(meta, content))?.equals(have)).toBe(true);

      have.set(2);
      await until(() => saver.saved === 4, 'the saves after a change');
      await sleep(30 * TICK_MS);
      expect(saver.modes).toEqual(['light', 'durable', 'light', 'durable']);
      expect(saver.saves).toBe(4);
      expect((await store.load(meta, content))?.equals(have)).toBe(true);
    } finally {
      running.unsubscribe();
    }
  });

  it('saves light at every tick while `have` keeps changing', async () => {
    const store = thisBootStore();
    const counting = countingSaver(store);
    const have = new Bitfield(meta.pieceCount);
    have.set(0);
    // Each save is followed by one more piece landing, until all but the last have.
    const boots: (string | undefined)[] = [];
    const saver: ResumeSaver = {
      interval: TICK_MS,
      save: async (snapshot, mode) => {
        await counting.save(snapshot, mode);
        boots.push((await store.read(meta))?.boot);
        if (have.count < meta.pieceCount - 1) have.set(have.count);
      },
    };
    const running = resumeSaves(have, saver, asyncScheduler).subscribe();
    try {
      await until(() => counting.saved === meta.pieceCount, 'a save per change and one after');
      await sleep(30 * TICK_MS);
      const light = meta.pieceCount - 1;
      expect(counting.modes).toEqual([...Array<SaveMode>(light).fill('light'), 'durable']);
      // The light records are what a killed process leaves; they hold within this boot.
      expect(boots).toEqual([...Array<string>(light).fill('this-boot'), undefined]);
    } finally {
      running.unsubscribe();
    }
  });

  it('a complete torrent (a seed) saves once, durably', async () => {
    const store = thisBootStore();
    const saver = countingSaver(store);
    const have = new Bitfield(meta.pieceCount);
    have.setAll();
    const running = resumeSaves(have, saver, asyncScheduler).subscribe();
    try {
      await until(() => saver.saved === 1, 'the first save');
      await sleep(30 * TICK_MS);
      expect(saver.modes).toEqual(['durable']);
      expect((await store.read(meta))?.boot).toBeUndefined();
    } finally {
      running.unsubscribe();
    }
  });

  it('tries a failed save again at the next tick, and stops once one succeeds', async () => {
    // The store's folder cannot be made while a file sits where its parent should be.
    const blocked = join(work, 'blocked');
    await writeFile(blocked, 'not a folder');
    const saver = countingSaver(createResumeStore({ dir: join(blocked, 'state') }));
    const have = new Bitfield(meta.pieceCount);
    have.set(1);
    const running = resumeSaves(have, saver, asyncScheduler).subscribe();
    try {
      await until(() => saver.failures >= 2, 'two failed saves');
      await rm(blocked);
      const failed = saver.failures;
      await until(() => saver.saved === 2, 'the saves after the fault is gone');
      await sleep(30 * TICK_MS);
      expect(saver.modes).toEqual(['light', 'durable']);
      expect(saver.saves).toBe(failed + 2);
      expect(saver.failures).toBe(failed);
    } finally {
      running.unsubscribe();
    }
  });
});
