/**
 * What the demo must undo, and how Ctrl-C reaches it. The session listens to SIGINT and SIGTERM
 * for as long as the demo runs and passes them on as a stream (the download phase hands that
 * stream to `runTorrents`, which stops gracefully on the first); outside the download the first
 * signal fires `abort`, so the phase in flight rejects and the normal teardown runs. A second
 * signal anywhere quits at once: the `exit` hook then sends SIGTERM to every seeder still alive
 * and removes the temp folder synchronously, so nothing outlives the process.
 */
import { rmSync } from 'node:fs';
import { Subject } from '../rx.js';
import type { Observable } from '../rx.js';
import type { StopSignal } from './download-command.js';

export interface DemoSession {
  /** Every SIGINT/SIGTERM while the session is open. */
  readonly signals: Observable<StopSignal>;
  /** Fires on the first signal outside the download phase. */
  readonly abort: AbortSignal;
  /** The first signal received, if any. */
  stoppedBy(): StopSignal | undefined;
  /** While true, signals are left to the download's own handling. */
  setDownloading(downloading: boolean): void;
  /** Run by the `exit` hook if the process ends before `close()`: must be synchronous. */
  onExit(hook: () => void): void;
  /** Ends the process now (second signal): the `exit` hooks run. */
  quit(code: number): void;
  /** Stops listening to signals and drops the `exit` hook. */
  close(): void;
}

const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

export function signalExitCode(signal: StopSignal): number {
  return SIGNAL_EXIT[signal];
}

export function openDemoSession(): DemoSession {
  const signals = new Subject<StopSignal>();
  const controller = new AbortController();
  const hooks: (() => void)[] = [];
  let first: StopSignal | undefined;
  let count = 0;
  let downloading = false;

  const runHooks = (): void => {
    for (const hook of hooks.splice(0)) {
      try {
        hook();
      } catch {
        // the process is ending; a hook that fails must not keep the others from running
      }
    }
  };
  const quit = (code: number): void => {
    runHooks();
    process.exit(code);
  };
  const onSignal = (signal: StopSignal): void => {
    count += 1;
    first ??= signal;
    signals.next(signal);
    if (downloading) return;
    if (count === 1) controller.abort(new Error(`interrupted (${signal})`));
    else quit(signalExitCode(first));
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('exit', runHooks);

  return {
    signals,
    abort: controller.signal,
    stoppedBy: () => first,
    setDownloading: (value) => {
      downloading = value;
      if (!value && first !== undefined && !controller.signal.aborted) {
        controller.abort(new Error(`interrupted (${first})`));
      }
    },
    onExit: (hook) => {
      hooks.push(hook);
    },
    quit,
    close: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('exit', runHooks);
      hooks.length = 0;
      signals.complete();
    },
  };
}

/** The synchronous removal the `exit` hook does when the demo could not clean up itself. */
export function removeNow(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
