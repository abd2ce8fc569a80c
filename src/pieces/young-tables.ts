/**
 * Why the long-lived Maps and Sets on the per-block path are copied now and then.
 *
 * When a Map or a Set rehashes, V8 allocates the new hash table in the generation of the table it
 * replaces. A collection that lives as long as a peer and turns over one entry per block (the
 * requests in flight: inserted when sent, deleted when answered) has its table promoted to the
 * old space once, and from then on each rehash, one every few hundred inserts, leaves a dead
 * table there: ≈ 10 MB per GiB downloaded, 16 MiB more peak RSS at 1 GiB, until a full
 * collection (docs/performance.md, round 8). Copied into a fresh collection every
 * `RENEW_AFTER_INSERTS` inserts, it starts again in the young generation, where the tables it
 * drops die in the next scavenge.
 */
export const RENEW_AFTER_INSERTS = 1024;
