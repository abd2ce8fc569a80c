/**
 * The demo's seeders: each one a child process running `rxtorrent seed <torrent> --dir <data>
 * --port 0 --host 127.0.0.1 --json` (port 0: the OS picks a fresh port, which the seeder announces to the
 * tracker). Its stdout is read line by line for the whole of its life (a pipe nobody reads would
 * stall it): a `state` event `seeding` means ready, `progress` events carry its upload count, a
 * fatal `error` event or an early exit means it failed. Stopping is SIGTERM, then waiting for
 * the exit; SIGKILL only if it does not come within the grace time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SeederExit {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** It ignored SIGTERM for the grace time and was killed. */
  readonly forced: boolean;
}

export interface Seeder {
  readonly pid: number;
  /** Resolves on its `seeding` state event; rejects when it fails, exits, times out or `abort` fires. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<SeederExit>;
  /** Payload bytes it has uploaded, from its last `progress` event. */
  uploaded(): number;
  /**
   * Its upload count from its next `progress` event (it sends one about every second), or the
   * last one known after `timeoutMs` or once it has exited.
   */
  nextUploaded(timeoutMs: number): Promise<number>;
  /** Still running (not yet exited). */
  alive(): boolean;
  /** SIGTERM, wait for the exit; SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<SeederExit>;
  /** SIGTERM without waiting, for the process's `exit` hook. */
  signalNow(): void;
}

export interface SeederOptions {
  /** The `bin/rxtorrent` script. */
  readonly bin: string;
  readonly torrent: string;
  readonly dir: string;
  readonly readyTimeoutMs: number;
  readonly abort: AbortSignal;
}

/** What one `--json` line of a seeder tells the demo. */
type SeederLine =
  | { readonly kind: 'seeding' }
  | { readonly kind: 'uploaded'; readonly bytes: number }
  | { readonly kind: 'fatal'; readonly message: string }
  | { readonly kind: 'other' };

export function startSeeder(options: SeederOptions): Seeder {
  const child = spawn(process.execPath, [options.bin, 'seed', options.torrent, '--dir', options.dir, '--port', '0', '--host', '127.0.0.1', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  let uploaded = 0;
  let running = child.pid !== undefined;
  let forced = false;
  let lastStderr = '';
  const waiting = new Set<() => void>();

  const exited = new Promise<SeederExit>((resolve) => {
    child.once('close', (code, signal) => {
      running = false;
      resolve({ pid, code, signal, forced });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    const fail = (message: string): void => {
      cleanup();
      reject(new Error(message));
    };
    const timer = setTimeout(() => fail(`seeder ${pid} was not seeding after ${options.readyTimeoutMs / 1000} s`),
      options.readyTimeoutMs);
    const onAbort = (): void => fail('interrupted');
    const onSpawnError = (error: Error): void => fail(`cannot start a seeder: ${error.message}`);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      const why = lastStderr.length > 0 ? `: ${lastStderr}` : '';
      fail(`seeder ${pid} exited (${signal ?? `code ${String(code)}`}) before seeding${why}`);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      options.abort.removeEventListener('abort', onAbort);
      child.off('error', onSpawnError);
      child.off('exit', onExit);
    };
    options.abort.addEventListener('abort', onAbort, { once: true });
    child.once('error', onSpawnError);
    child.once('exit', onExit);
    readLines(child, 'stdout', (line) => {
      const parsed = parseSeederLine(line);
      switch (parsed.kind) {
        case 'seeding':
          cleanup();
          resolve();
          return;
        case 'uploaded':
          uploaded = parsed.bytes;
          for (const wake of waiting) wake();
          return;
        case 'fatal':
          fail(`seeder ${pid}: ${parsed.message}`);
          return;
        case 'other':
          return;
      }
    });
  });
  ready.catch(() => undefined); // awaited by the demo; a late rejection must not go unhandled
  readLines(child, 'stderr', (line) => {
    if (line.trim().length > 0) lastStderr = line.trim();
  });

  const stop = async (graceMs: number): Promise<SeederExit> => {
    if (running) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!running) return;
      forced = true;
      child.kill('SIGKILL');
    }, graceMs);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  };

  const nextUploaded = (timeoutMs: number): Promise<number> => new Promise<number>((resolve) => {
    if (!running) {
      resolve(uploaded);
      return;
    }
    const wake = (): void => {
      clearTimeout(timer);
      waiting.delete(wake);
      resolve(uploaded);
    };
    const timer = setTimeout(wake, timeoutMs);
    waiting.add(wake);
    void exited.then(wake);
  });

  return {
    pid,
    ready,
    exited,
    uploaded: () => uploaded,
    nextUploaded,
    alive: () => running,
    stop,
    signalNow: () => {
      if (running) child.kill('SIGTERM');
    },
  };
}

function readLines(child: ChildProcess, stream: 'stdout' | 'stderr', onLine: (line: string) => void): void {
  const input = child[stream];
  if (input === null) return;
  createInterface({ input, crlfDelay: Infinity }).on('line', onLine);
}

/** A parsing edge: the seeder's JSON Lines, narrowed field by field. */
function parseSeederLine(line: string): SeederLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'other' };
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) return { kind: 'other' };
  if (value.type === 'state' && 'state' in value && value.state === 'seeding') return { kind: 'seeding' };
  if (value.type === 'progress' && 'uploaded' in value && typeof value.uploaded === 'number') {
    return { kind: 'uploaded', bytes: value.uploaded };
  }
  if (value.type === 'error' && 'fatal' in value && value.fatal === true) {
    const message = 'message' in value && typeof value.message === 'string' ? value.message : 'fatal error';
    return { kind: 'fatal', message };
  }
  return { kind: 'other' };
}
