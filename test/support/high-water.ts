import { once } from 'node:events';
import type { Socket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { expect } from 'vitest';
import { WRITE_HIGH_WATER_BYTES } from '../../src/io/tcp-connection.js';
import type { Connection } from '../../src/peer/connection.js';

/**
 * Checks a connection's write high-water mark over a real socket: 16 KiB blocks written in one
 * turn are taken (`write` says true) until WRITE_HIGH_WATER_BYTES are buffered, the block that
 * reaches it asks for `drain` (false), `drain$` then emits, and every byte reaches `peer`.
 */
export async function expectWriteHighWaterMark(connection: Connection, peer: Socket): Promise<void> {
  let received = 0;
  peer.on('data', (chunk: Buffer) => (received += chunk.length));
  const block = 16 * 1024;
  const fit = WRITE_HIGH_WATER_BYTES / block - 1;
  const answers = Array.from({ length: fit + 1 }, (_, i) => connection.write([new Uint8Array(block).fill(i)]));
  expect(answers).toEqual([...Array<boolean>(fit).fill(true), false]);
  await firstValueFrom(connection.drain$);
  while (received < (fit + 1) * block) await once(peer, 'data');
  expect(received).toBe((fit + 1) * block);
}
