/**
 * The hash worker, as source text run with `new Worker(HASH_WORKER_SOURCE, { eval: true })`.
 *
 * Why a string and not a file next to this module: the same code then runs from `dist/` (plain
 * JS), from the TypeScript source under vitest (where a `.ts` worker file cannot be loaded by
 * Node 20), and from a bundle, without resolving any path at run time.
 *
 * Protocol (structured clone, one job at a time per worker):
 * - in:  {@link HashJobMessage}; `data` is a view on a `SharedArrayBuffer`, so posting it shares
 *        the bytes instead of copying them;
 * - out: {@link HashResultMessage}; the 20-byte digest in its own transferred buffer.
 */
export interface HashJobMessage {
  readonly id: number;
  readonly data: Uint8Array;
}

export interface HashResultMessage {
  readonly id: number;
  readonly digest: Uint8Array;
}

export const SHA1_LENGTH = 20;

export const HASH_WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', (job) => {
  const digest = createHash('sha1').update(job.data).digest();
  const out = new Uint8Array(${SHA1_LENGTH});
  out.set(digest);
  parentPort.postMessage({ id: job.id, digest: out }, [out.buffer]);
});
`;

/** Narrows a message from a hash worker (the one parsing edge of the protocol). */
export function isHashResult(message: unknown): message is HashResultMessage {
  if (typeof message !== 'object' || message === null) return false;
  const id: unknown = Reflect.get(message, 'id');
  const digest: unknown = Reflect.get(message, 'digest');
  return typeof id === 'number' && digest instanceof Uint8Array && digest.length === SHA1_LENGTH;
}
