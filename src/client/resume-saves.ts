/**
 * The periodic fast-resume saves of a running torrent, every `resume.interval` ms:
 *
 * - while `have` changes (a download), a light save (no fsync; the record holds within this boot);
 * - once `have` has stayed the same for a whole interval after a light save (the writes went
 *   quiet, or the download finished), or when it is complete, a durable one;
 * - otherwise nothing: a seeding torrent saves once and then stays quiet (and a restarted one
 *   whose durable record still holds not even that: the store skips a durable save that the record
 *   on disk already covers).
 *
 * A durable save fsyncs every content file and the record, and each fsync stalls the disk's
 * writes, every process's (0.04–0.4 s per save on the bench VM, docs/performance.md rounds 12
 * and 15), so a running download never pays for one. A failed save is tried again at the next
 * tick.
 */
import { EMPTY, type Observable, type SchedulerLike, catchError, defer, exhaustMap, filter, ignoreElements, interval, map, tap } from '../rx.js';
import type { Bitfield } from '../pieces/bitfield.js';
import type { SaveMode } from '../io/resume-store.js';

/** What the saves need of the torrent's resume state (`TorrentResume` in run-torrent.ts). */
export interface ResumeSaver {
  /** Records `have` (only pieces whose writes completed). */
  save(have: Bitfield, mode: SaveMode): Promise<void>;
  /** ms between saves while running. */
  readonly interval: number;
}

/** Never emits; each subscription starts with nothing saved, so its first tick saves. */
export function resumeSaves(have: Bitfield, resume: ResumeSaver, scheduler: SchedulerLike): Observable<never> {
  return defer(() => {
    let saved: { readonly have: Bitfield; readonly mode: SaveMode } | undefined;
    const modeNow = (): SaveMode | undefined => {
      if (saved === undefined || !saved.have.equals(have)) return have.isComplete ? 'durable' : 'light';
      return saved.mode === 'light' ? 'durable' : undefined;
    };
    return interval(resume.interval, scheduler).pipe(
      map(modeNow),
      filter((mode) => mode !== undefined),
      exhaustMap((mode) => {
        const snapshot = have.clone();
        return defer(() => resume.save(snapshot, mode)).pipe(
          tap({ complete: () => (saved = { have: snapshot, mode }) }),
          catchError(() => EMPTY),
        );
      }),
      ignoreElements(),
    );
  });
}
