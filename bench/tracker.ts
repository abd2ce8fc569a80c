/**
 * The bench's tracker: one torrent, HTTP, 127.0.0.1, an interval of a few seconds, and roles.
 *
 * Why not `startTrackerServer` or opentracker: every client here is a seed or a leecher that the
 * bench started on a known port, and seeds must not be told about each other. transmission
 * refuses every loopback peer of a torrent it seeds once a loopback *seed* has talked to it
 * (docs/interop.md), and the rxtorrent seeder dials whatever the tracker names. So a peer the
 * bench registered as a seeder hears only of leechers; a leecher hears of everyone but itself.
 * `reset()` forgets every peer between runs.
 */
import * as http from 'node:http';

export interface BenchTracker {
  readonly url: string;
  /** Ports that announced since the last reset (and did not stop). */
  ports(): number[];
  /** Marks a listening port as a seeder's. */
  markSeeder(port: number): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startBenchTracker(interval = 5): Promise<BenchTracker> {
  const peers = new Map<number, number>(); // port → left
  const seeders = new Set<number>();
  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    const query = new Map<string, string>();
    for (const part of raw.slice(raw.indexOf('?') + 1).split('&')) {
      const eq = part.indexOf('=');
      if (eq > 0) query.set(part.slice(0, eq), part.slice(eq + 1));
    }
    const port = Number(query.get('port'));
    const left = Number(query.get('left') ?? '1');
    const reply = (body: Buffer): void => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, connection: 'close' });
      res.end(body);
    };
    if (!raw.startsWith('/announce') || !Number.isInteger(port) || port <= 0) {
      reply(Buffer.from('d14:failure reason11:bad requeste'));
      return;
    }
    if (query.get('event') === 'stopped') peers.delete(port);
    else peers.set(port, left);
    const asSeeder = seeders.has(port);
    const listed = [...peers.keys()].filter((other) => other !== port && !(asSeeder && seeders.has(other)));
    const compact = Buffer.alloc(6 * listed.length);
    listed.forEach((other, i) => {
      compact.set([127, 0, 0, 1], 6 * i);
      compact.writeUInt16BE(other, 6 * i + 4);
    });
    const seeds = [...peers.values()].filter((value) => value === 0).length;
    reply(Buffer.concat([
      Buffer.from(`d8:completei${seeds}e10:incompletei${peers.size - seeds}e8:intervali${interval}e12:min intervali${interval}e5:peers${compact.length}:`),
      compact,
      Buffer.from('e'),
    ]));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bench tracker: no port');
  return {
    url: `http://127.0.0.1:${address.port}/announce`,
    ports: () => [...peers.keys()],
    markSeeder: (port) => seeders.add(port),
    reset: () => {
      peers.clear();
      seeders.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
