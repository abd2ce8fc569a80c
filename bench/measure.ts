/**
 * What the bench measures about a process: exact CPU time and peak RSS of a child that exits
 * (through bench/rusage.py and wait4(2)), or the deltas of a daemon that keeps running (from
 * /proc/<pid>/stat and /proc/<pid>/status), plus a sampled peak of anonymous memory (RssAnon) —
 * libtorrent 2.0 maps its files, so its RSS counts page-cache pages that are not its own heap.
 */
import { spawn } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface Usage {
  /** user + system CPU seconds of the process (and the children it waited for). */
  readonly cpuSeconds: number;
  /** Peak resident set, KiB (ru_maxrss or VmHWM). */
  readonly peakRssKb: number;
  /** Highest RssAnon seen, sampled every 200 ms, KiB. */
  readonly peakAnonKb: number;
}

export interface MeasuredChild {
  readonly pid: Promise<number>;
  /** Resolves on exit with the exit code and the usage. */
  readonly exited: Promise<Usage & { readonly code: number }>;
  /** Every stdout line, as it comes. */
  onLine(listener: (line: string) => void): void;
  output(): string;
  /** SIGTERM (passed on to the child), SIGKILL after 3 s; resolves when it has exited. */
  kill(): Promise<void>;
}

const RUSAGE = new URL('./rusage.py', import.meta.url).pathname.replace('/out/build/bench/', '/');
const PYTHON = '/usr/bin/python3';
const TICKS = 100; // CLK_TCK on Linux

/** Spawns `argv` under bench/rusage.py (and setpriv --pdeathsig, so a killed bench takes it along). */
export function spawnMeasured(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): MeasuredChild {
  const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', PYTHON, RUSAGE, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env,
  });
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  let output = '';
  const listeners: ((line: string) => void)[] = [];
  createInterface({ input: stdout }).on('line', (line) => {
    output = (output + line + '\n').slice(-64_000);
    for (const listener of listeners) listener(line);
  });
  stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-64_000)));
  const report = child.stdio[3] as Readable;
  const reports: Record<string, number>[] = [];
  let gotPid: (pid: number) => void = () => undefined;
  const pid = new Promise<number>((resolve) => (gotPid = resolve));
  createInterface({ input: report }).on('line', (line) => {
    const parsed = JSON.parse(line) as Record<string, number>;
    reports.push(parsed);
    if (parsed['pid'] !== undefined) gotPid(parsed['pid']);
  });
  let peakAnonKb = 0;
  const sampler = setInterval(() => {
    void pid.then(async (inner) => {
      const status = await procStatus(inner);
      if (status !== undefined) peakAnonKb = Math.max(peakAnonKb, status.anonKb);
    });
  }, 200);
  const closed = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
  const exited = closed.then((code) => {
    clearInterval(sampler);
    gotPid(-1);
    const last = reports.find((entry) => entry['exit'] !== undefined);
    return {
      code: last?.['exit'] ?? code,
      cpuSeconds: (last?.['user'] ?? NaN) + (last?.['sys'] ?? NaN),
      peakRssKb: last?.['maxrssKb'] ?? NaN,
      peakAnonKb,
    };
  });
  let killing: Promise<void> | undefined;
  return {
    pid,
    exited,
    onLine: (listener) => listeners.push(listener),
    output: () => output,
    kill: () => {
      killing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const forced = setTimeout(() => {
          void pid.then((inner) => {
            try {
              if (inner > 0) process.kill(inner, 'SIGKILL');
            } catch {
              // already gone
            }
          });
        }, 3000);
        await closed;
        clearTimeout(forced);
      })();
      return killing;
    },
  };
}

/** CPU seconds so far of a live process (all its threads, and children it waited for). */
export async function procCpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'latin1');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / TICKS;
}

export async function procStatus(pid: number): Promise<{ hwmKb: number; anonKb: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'latin1');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { hwmKb: field('VmHWM'), anonKb: field('RssAnon') };
  } catch {
    return undefined;
  }
}

/** Samples a live daemon's RssAnon every 200 ms until `stop()`; returns the peak in KiB. */
export function sampleAnon(pid: number): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    void procStatus(pid).then((status) => {
      if (status !== undefined) peak = Math.max(peak, status.anonKb);
    });
  }, 200);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Bytes allocated on disk below `dir` (st_blocks), to see when the first payload lands. */
export async function allocatedBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const info = await stat(join(entry.parentPath, entry.name)).catch(() => undefined);
    if (info !== undefined) total += info.blocks * 512;
  }
  return total;
}

/** Median, min and max of finite values (NaN when there are none). */
export function summary(values: readonly number[]): { median: number; min: number; max: number; n: number } {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[n - 1]!, n };
}
