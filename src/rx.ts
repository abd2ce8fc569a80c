/**
 * The RxJS parts rxtorrent uses, each loaded from its own module.
 *
 * `import … from 'rxjs'` loads rxjs's whole CommonJS index: 223 files, about 60 ms of every
 * process start (the CLI pays it on each run). These load the ~80 files the library needs. They
 * are the very modules the index re-exports, so an `Observable` from here is the `Observable` of
 * `rxjs`: code that uses rxtorrent mixes the two freely. `rxjs/internal/*` is in rxjs 7's package
 * exports; the package.json pins rxjs 7.
 *
 * They are `require`d, not imported: rxjs is CommonJS under Node, and importing a CommonJS file
 * from ES modules makes Node scan its source for the names it exports, one file after another
 * (about 25 ms of wall time and 45 ms of CPU for these ~80 files at every start,
 * docs/performance.md). `require` returns the same module objects without the scan. The cost:
 * some bundlers do not follow a `createRequire` call (esbuild does not, evanw/esbuild#1828;
 * webpack 5 does), so a bundle they make loads rxjs from `node_modules` at run time. The CLI's
 * own bundle (scripts/bundle-cli.mjs) turns each `export const … = load(…)` line below into an
 * `import`; keep them one per line, in that form, or its build fails.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const { Observable } = load('rxjs/internal/Observable') as typeof import('rxjs/internal/Observable');
export type Observable<T> = import('rxjs/internal/Observable').Observable<T>;
export const { BehaviorSubject } = load('rxjs/internal/BehaviorSubject') as typeof import('rxjs/internal/BehaviorSubject');
export type BehaviorSubject<T> = import('rxjs/internal/BehaviorSubject').BehaviorSubject<T>;
export const { Subject } = load('rxjs/internal/Subject') as typeof import('rxjs/internal/Subject');
export type Subject<T> = import('rxjs/internal/Subject').Subject<T>;
export const { ReplaySubject } = load('rxjs/internal/ReplaySubject') as typeof import('rxjs/internal/ReplaySubject');
export type ReplaySubject<T> = import('rxjs/internal/ReplaySubject').ReplaySubject<T>;
export const { Subscription } = load('rxjs/internal/Subscription') as typeof import('rxjs/internal/Subscription');
export type Subscription = import('rxjs/internal/Subscription').Subscription;
export const { config } = load('rxjs/internal/config') as typeof import('rxjs/internal/config');
export const { lastValueFrom } = load('rxjs/internal/lastValueFrom') as typeof import('rxjs/internal/lastValueFrom');
export const { asyncScheduler } = load('rxjs/internal/scheduler/async') as typeof import('rxjs/internal/scheduler/async');
export type { MonoTypeOperatorFunction, OperatorFunction, SchedulerLike } from 'rxjs/internal/types';

export const { EMPTY } = load('rxjs/internal/observable/empty') as typeof import('rxjs/internal/observable/empty');
export const { combineLatest } = load('rxjs/internal/observable/combineLatest') as typeof import('rxjs/internal/observable/combineLatest');
export const { concat } = load('rxjs/internal/observable/concat') as typeof import('rxjs/internal/observable/concat');
export const { defer } = load('rxjs/internal/observable/defer') as typeof import('rxjs/internal/observable/defer');
export const { interval } = load('rxjs/internal/observable/interval') as typeof import('rxjs/internal/observable/interval');
export const { merge } = load('rxjs/internal/observable/merge') as typeof import('rxjs/internal/observable/merge');
export const { of } = load('rxjs/internal/observable/of') as typeof import('rxjs/internal/observable/of');
export const { race } = load('rxjs/internal/observable/race') as typeof import('rxjs/internal/observable/race');
export const { range } = load('rxjs/internal/observable/range') as typeof import('rxjs/internal/observable/range');
export const { throwError } = load('rxjs/internal/observable/throwError') as typeof import('rxjs/internal/observable/throwError');
export const { timer } = load('rxjs/internal/observable/timer') as typeof import('rxjs/internal/observable/timer');

export const { catchError } = load('rxjs/internal/operators/catchError') as typeof import('rxjs/internal/operators/catchError');
export const { concatWith } = load('rxjs/internal/operators/concatWith') as typeof import('rxjs/internal/operators/concatWith');
export const { defaultIfEmpty } = load('rxjs/internal/operators/defaultIfEmpty') as typeof import('rxjs/internal/operators/defaultIfEmpty');
export const { distinctUntilChanged } = load('rxjs/internal/operators/distinctUntilChanged') as typeof import('rxjs/internal/operators/distinctUntilChanged');
export const { endWith } = load('rxjs/internal/operators/endWith') as typeof import('rxjs/internal/operators/endWith');
export const { exhaustMap } = load('rxjs/internal/operators/exhaustMap') as typeof import('rxjs/internal/operators/exhaustMap');
export const { expand } = load('rxjs/internal/operators/expand') as typeof import('rxjs/internal/operators/expand');
export const { filter } = load('rxjs/internal/operators/filter') as typeof import('rxjs/internal/operators/filter');
export const { finalize } = load('rxjs/internal/operators/finalize') as typeof import('rxjs/internal/operators/finalize');
export const { ignoreElements } = load('rxjs/internal/operators/ignoreElements') as typeof import('rxjs/internal/operators/ignoreElements');
export const { map } = load('rxjs/internal/operators/map') as typeof import('rxjs/internal/operators/map');
export const { mergeMap } = load('rxjs/internal/operators/mergeMap') as typeof import('rxjs/internal/operators/mergeMap');
export const { retry } = load('rxjs/internal/operators/retry') as typeof import('rxjs/internal/operators/retry');
export const { scan } = load('rxjs/internal/operators/scan') as typeof import('rxjs/internal/operators/scan');
export const { share } = load('rxjs/internal/operators/share') as typeof import('rxjs/internal/operators/share');
export const { startWith } = load('rxjs/internal/operators/startWith') as typeof import('rxjs/internal/operators/startWith');
export const { switchMap } = load('rxjs/internal/operators/switchMap') as typeof import('rxjs/internal/operators/switchMap');
export const { take } = load('rxjs/internal/operators/take') as typeof import('rxjs/internal/operators/take');
export const { takeUntil } = load('rxjs/internal/operators/takeUntil') as typeof import('rxjs/internal/operators/takeUntil');
export const { takeWhile } = load('rxjs/internal/operators/takeWhile') as typeof import('rxjs/internal/operators/takeWhile');
export const { tap } = load('rxjs/internal/operators/tap') as typeof import('rxjs/internal/operators/tap');
export const { timeout } = load('rxjs/internal/operators/timeout') as typeof import('rxjs/internal/operators/timeout');
