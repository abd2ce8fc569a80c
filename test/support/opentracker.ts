/**
 * Starts Debian's opentracker on 127.0.0.1 for interop tests (see /work/shared/INTEROP.md).
 * It is whitelist-only and chroots into a temp folder readable by `nobody`; HTTP and UDP share
 * one free port. `stop()` kills the process and removes the folder; call it in `afterAll`.
 * opentracker answers on its port before it has read the whitelist, so start-up also waits until
 * the first info hash is accepted.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForTcpPort } from './ports.js';

export const OPENTRACKER_BIN = '/usr/bin/opentracker';

export interface RunningOpentracker {
  readonly port: number;
  readonly httpUrl: string;
  readonly udpUrl: string;
  /** What the process wrote, for failure messages. */
  readonly output: () => string;
  stop(): Promise<void>;
}

export function opentrackerAvailable(): boolean {
  return existsSync(OPENTRACKER_BIN);
}

export async function startOpentracker(infoHashesHex: readonly string[]): Promise<RunningOpentracker> {
  const dir = await mkdtemp(join(tmpdir(), 'rxtorrent-opentracker-'));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running !== undefined && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGTERM');
      const forced = setTimeout(() => running.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(forced);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await chmod(dir, 0o755);
    const whitelist = join(dir, 'whitelist');
    await writeFile(whitelist, infoHashesHex.map((hex) => `${hex.toLowerCase()}\n`).join(''));
    await chmod(whitelist, 0o644);
    const port = await freePort();
    let output = '';
    const started = spawn(
      OPENTRACKER_BIN,
      ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', dir, '-w', 'whitelist'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const died = new Promise<never>((_, reject) =>
      started.once('exit', (code) => reject(new Error(`opentracker exited with ${code}: ${output}`))),
    );
    died.catch(() => undefined);
    await Promise.race([waitForTcpPort(port), died]);
    const first = infoHashesHex[0];
    if (first !== undefined) await Promise.race([waitForWhitelist(port, first), died]);
    return {
      port,
      httpUrl: `http://127.0.0.1:${port}/announce`,
      udpUrl: `udp://127.0.0.1:${port}/announce`,
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls with a harmless `stopped` announce until the tracker stops refusing `infoHashHex`. */
async function waitForWhitelist(port: number, infoHashHex: string, timeoutMs = 10_000): Promise<void> {
  const hash = infoHashHex.replace(/../g, (byte) => `%${byte}`);
  const url = `http://127.0.0.1:${port}/announce?info_hash=${hash}&peer_id=-XX0000-whitelistprb&port=1&uploaded=0&downloaded=0&left=0&compact=1&event=stopped`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await new Promise<string>((resolve) => {
      const req = http.get(url, { agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        res.on('end', () => resolve(text));
        res.on('error', () => resolve('failure reason'));
      });
      req.on('error', () => resolve('failure reason'));
    });
    if (!body.includes('failure reason')) return;
    if (Date.now() > deadline) throw new Error(`opentracker did not accept ${infoHashHex} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
