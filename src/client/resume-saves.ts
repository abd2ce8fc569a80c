/**
 * The periodic fast-resume saves of a running torrent: every `resume.interval` ms, but only when
 * `have` changed since the last save that succeeded. A save fsyncs every content file and the
 * record, and on ext4 each one holds the disk's writes for the journal commit (a 1 GiB download
 * on the bench VM: 0.04–0.19 s per save, docs/performance.md round 12), so a seeding torrent,
 * whose `have` no longer changes, saves once and then stays quiet instead of syncing every file
 * every few seconds for as long as it seeds. A failed save is tried again at the next tick.
 */
import { EMPTY, type Observable, type SchedulerLike, catchError, defer, exhaustMap, filter, ignoreElements, interval, tap } from '../rx.js';
import type { Bitfield } from '../pieces/bitfield.js';

/** What the saves need of the torrent's resume state (`TorrentResume` in run-torrent.ts). */
export interface ResumeSaver {
  /** Records `have` (only pieces whose writes completed). */
  save(have: Bitfield): Promise<void>;
  /** ms between saves while running. */
  readonly interval: number;
}

/** Never emits; each subscription starts with nothing saved, so its first tick saves. */
export function resumeSaves(have: Bitfield, resume: ResumeSaver, scheduler: SchedulerLike): Observable<never> {
  return defer(() => {
    let saved: Bitfield | undefined;
    return interval(resume.interval, scheduler).pipe(
      filter(() => saved === undefined || !saved.equals(have)),
      exhaustMap(() => {
        const snapshot = have.clone();
        return defer(() => resume.save(snapshot)).pipe(
          tap({ complete: () => (saved = snapshot) }),
          catchError(() => EMPTY),
        );
      }),
      ignoreElements(),
    );
  });
}
