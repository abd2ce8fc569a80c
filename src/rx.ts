/**
 * The RxJS parts rxtorrent uses, each imported from its own module.
 *
 * `import … from 'rxjs'` loads rxjs's whole CommonJS index: 223 files, about 60 ms of every
 * process start (the CLI pays it on each run). These imports load the ~80 files the library
 * needs (about 25 ms; docs/performance.md). They are the very modules the index re-exports, so an
 * `Observable` from here is the `Observable` of `rxjs`: code that uses rxtorrent mixes the two
 * freely. `rxjs/internal/*` is in rxjs 7's package exports; the package.json pins rxjs 7.
 */
export { Observable } from 'rxjs/internal/Observable';
export { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
export { Subject } from 'rxjs/internal/Subject';
export { ReplaySubject } from 'rxjs/internal/ReplaySubject';
export { Subscription } from 'rxjs/internal/Subscription';
export { config } from 'rxjs/internal/config';
export { lastValueFrom } from 'rxjs/internal/lastValueFrom';
export { asyncScheduler } from 'rxjs/internal/scheduler/async';
export type { MonoTypeOperatorFunction, OperatorFunction, SchedulerLike } from 'rxjs/internal/types';

export { EMPTY } from 'rxjs/internal/observable/empty';
export { combineLatest } from 'rxjs/internal/observable/combineLatest';
export { concat } from 'rxjs/internal/observable/concat';
export { defer } from 'rxjs/internal/observable/defer';
export { interval } from 'rxjs/internal/observable/interval';
export { merge } from 'rxjs/internal/observable/merge';
export { of } from 'rxjs/internal/observable/of';
export { race } from 'rxjs/internal/observable/race';
export { range } from 'rxjs/internal/observable/range';
export { throwError } from 'rxjs/internal/observable/throwError';
export { timer } from 'rxjs/internal/observable/timer';

export { catchError } from 'rxjs/internal/operators/catchError';
export { concatWith } from 'rxjs/internal/operators/concatWith';
export { defaultIfEmpty } from 'rxjs/internal/operators/defaultIfEmpty';
export { distinctUntilChanged } from 'rxjs/internal/operators/distinctUntilChanged';
export { endWith } from 'rxjs/internal/operators/endWith';
export { exhaustMap } from 'rxjs/internal/operators/exhaustMap';
export { expand } from 'rxjs/internal/operators/expand';
export { filter } from 'rxjs/internal/operators/filter';
export { finalize } from 'rxjs/internal/operators/finalize';
export { ignoreElements } from 'rxjs/internal/operators/ignoreElements';
export { map } from 'rxjs/internal/operators/map';
export { mergeMap } from 'rxjs/internal/operators/mergeMap';
export { retry } from 'rxjs/internal/operators/retry';
export { scan } from 'rxjs/internal/operators/scan';
export { share } from 'rxjs/internal/operators/share';
export { startWith } from 'rxjs/internal/operators/startWith';
export { switchMap } from 'rxjs/internal/operators/switchMap';
export { take } from 'rxjs/internal/operators/take';
export { takeUntil } from 'rxjs/internal/operators/takeUntil';
export { takeWhile } from 'rxjs/internal/operators/takeWhile';
export { tap } from 'rxjs/internal/operators/tap';
export { timeout } from 'rxjs/internal/operators/timeout';
