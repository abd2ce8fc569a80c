/**
 * Runs Debian's transmission-daemon 3.00 on 127.0.0.1 for interop tests and benchmarks, driven
 * over its JSON-RPC (see /work/shared/INTEROP.md and docs/interop.md).
 *
 * `startTransmission({ dir })` writes `dir/settings.json` (loopback only; DHT, LPD, PEX, uTP,
 * port forwarding, queues, ratio and speed limits off; `encryption` 0 so its own handshakes are
 * plain — 0 and 1 both accept plain incoming handshakes, 2 refuses them), starts
 * `transmission-daemon -f -g dir` and resolves once its RPC answers and its peer port listens.
 * The caller owns `dir` and removes it after `stop()`.
 *
 * Behaviour to design tests around:
 * - it never dials peers in 127.0.0.0/8 that a tracker hands it: as a leecher it must be dialled;
 * - one peer per IP address and torrent, and one pending incoming handshake per IP address: a
 *   loopback connection made while another from 127.0.0.1 is still listed is closed at once;
 * - once a loopback peer has become a seed of a torrent it seeds, it refuses every later
 *   connection from 127.0.0.1 for that torrent, even after pause and start; to serve another
 *   loopback leecher, `remove(id)` and `seed()` again;
 * - it reads sockets on a 500 ms bandwidth pulse (a handshake answer takes up to ~0.5 s) and
 *   unchokes on a 10 s rechoke pulse (a new leecher waits up to 10 s for its first block).
 * A torrent it should seed is added paused with the data already in place, verified, then
 * started (`seed()` does the three).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { join, resolve } from 'node:path';
import { freePort } from './ports.js';

export const TRANSMISSION_DAEMON_BIN = '/usr/bin/transmission-daemon';
const SETPRIV_BIN = '/usr/bin/setpriv';

export function transmissionAvailable(): boolean {
  return existsSync(TRANSMISSION_DAEMON_BIN);
}

export interface TransmissionOptions {
  /** Config folder (settings.json, resume files); created when missing. Owned by the caller. */
  readonly dir: string;
  /** TCP (and uTP/UDP, though uTP is off) peer port; a free one when omitted. */
  readonly peerPort?: number;
  /** RPC port on 127.0.0.1; a free one when omitted. */
  readonly rpcPort?: number;
  /** Extra or overriding settings.json entries. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Deep logging (handshakes, peer messages) into `output()`: sets TR_DEBUG_FD=2. */
  readonly debug?: boolean;
  /** How long to wait for the ports to answer (default 15 s: start-up is slow on a busy box). */
  readonly startTimeoutMs?: number;
}

/** transmission's `status` field (RPC spec, 3.00). */
export const TorrentStatus = {
  stopped: 0,
  checkWait: 1,
  checking: 2,
  downloadWait: 3,
  downloading: 4,
  seedWait: 5,
  seeding: 6,
} as const;

export interface TransmissionPeer {
  readonly address: string;
  readonly port: number;
  readonly clientName: string;
  readonly isIncoming: boolean;
  readonly isEncrypted: boolean;
  readonly progress: number;
  readonly rateToClient: number;
  readonly rateToPeer: number;
}

export interface TransmissionTorrentInfo {
  readonly id: number;
  readonly name: string;
  readonly hashString: string;
  readonly status: number;
  /** 0…1 of the wanted bytes. */
  readonly percentDone: number;
  readonly leftUntilDone: number;
  readonly sizeWhenDone: number;
  readonly haveValid: number;
  readonly recheckProgress: number;
  /** Bytes per second. */
  readonly rateDownload: number;
  readonly rateUpload: number;
  readonly downloadedEver: number;
  readonly uploadedEver: number;
  readonly corruptEver: number;
  readonly peersConnected: number;
  readonly peers: readonly TransmissionPeer[];
  /** Whether some tracker has answered an announce (so the tracker now lists this client). */
  readonly announced: boolean;
  /** 0 ok, 1 tracker warning, 2 tracker error, 3 local error. */
  readonly error: number;
  readonly errorString: string;
  readonly downloadDir: string;
}

export interface RunningTransmission {
  readonly peerPort: number;
  readonly rpcPort: number;
  readonly dir: string;
  readonly pid: number;
  /** The daemon's log so far (last 256 KiB), for failure messages. */
  output(): string;
  /** One raw RPC call; resolves with `arguments` or rejects with `result`. */
  rpc(method: string, args?: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  /** Adds a .torrent file (read by the daemon from its path); resolves with the torrent id. */
  addTorrent(torrentPath: string, downloadDir: string, options?: { readonly paused?: boolean }): Promise<number>;
  /** Adds paused, verifies the data in `downloadDir`, starts; rejects unless all of it is there. */
  seed(torrentPath: string, downloadDir: string, timeoutMs?: number): Promise<number>;
  torrentInfo(id: number): Promise<TransmissionTorrentInfo>;
  /** Rechecks the data and resolves with the state after the check. */
  verify(id: number, timeoutMs?: number): Promise<TransmissionTorrentInfo>;
  start(id: number): Promise<void>;
  pause(id: number): Promise<void>;
  remove(id: number, deleteData?: boolean): Promise<void>;
  /**
   * Resolves once the torrent's tracker has answered an announce. opentracker re-announces every
   * ~30 minutes, so a peer that announces before transmission did never hears of it: wait here.
   */
  waitAnnounced(id: number, timeoutMs?: number): Promise<TransmissionTorrentInfo>;
  /** Resolves when every wanted byte is downloaded and verified; rejects after `timeoutMs`. */
  waitDone(id: number, timeoutMs: number): Promise<TransmissionTorrentInfo>;
  /** Kills the daemon (SIGTERM, SIGKILL after 3 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** settings.json for a loopback-only daemon; `extra` wins. */
export function transmissionSettings(
  options: { downloadDir: string; peerPort: number; rpcPort: number },
  extra: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    'bind-address-ipv4': '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': options.peerPort,
    'peer-port-random-on-start': false,
    'port-forwarding-enabled': false,
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    'blocklist-enabled': false,
    // 0 = TR_CLEAR_PREFERRED: plain handshakes out, plain or MSE accepted in (2 would refuse plain).
    encryption: 0,
    'rpc-enabled': true,
    'rpc-bind-address': '127.0.0.1',
    'rpc-port': options.rpcPort,
    'rpc-authentication-required': false,
    'rpc-whitelist': '127.0.0.1',
    'rpc-whitelist-enabled': true,
    'rpc-host-whitelist-enabled': false,
    'download-dir': options.downloadDir,
    'incomplete-dir-enabled': false,
    'rename-partial-files': false,
    'start-added-torrents': true,
    'download-queue-enabled': false,
    'seed-queue-enabled': false,
    'queue-stalled-enabled': false,
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'speed-limit-down-enabled': false,
    'speed-limit-up-enabled': false,
    'alt-speed-enabled': false,
    'alt-speed-time-enabled': false,
    'cache-size-mb': 32,
    preallocation: 0,
    'peer-limit-global': 400,
    'peer-limit-per-torrent': 100,
    'scrape-paused-torrents-enabled': false,
    'message-level': 2,
    ...extra,
  };
}

const INFO_FIELDS = [
  'id', 'name', 'hashString', 'status', 'percentDone', 'leftUntilDone', 'sizeWhenDone', 'haveValid',
  'recheckProgress', 'rateDownload', 'rateUpload', 'downloadedEver', 'uploadedEver', 'corruptEver',
  'peersConnected', 'peers', 'error', 'errorString', 'downloadDir', 'trackerStats',
] as const;

const OUTPUT_LIMIT = 256 * 1024;

export async function startTransmission(options: TransmissionOptions): Promise<RunningTransmission> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const peerPort = options.peerPort ?? (await freePort());
  const rpcPort = options.rpcPort ?? (await freePort());
  const downloadDir = join(dir, 'downloads');
  await mkdir(downloadDir, { recursive: true });
  await writeFile(
    join(dir, 'settings.json'),
    `${JSON.stringify(transmissionSettings({ downloadDir, peerPort, rpcPort }, options.settings), null, 2)}\n`,
  );

  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  // setpriv (util-linux) execs the daemon with PR_SET_PDEATHSIG, so a test worker that dies
  // without running afterAll takes the daemon with it.
  const [program, args] = existsSync(SETPRIV_BIN)
    ? [SETPRIV_BIN, ['--pdeathsig', 'TERM', '--', TRANSMISSION_DAEMON_BIN, '-f', '-g', dir]]
    : [TRANSMISSION_DAEMON_BIN, ['-f', '-g', dir]];
  const child: ChildProcess = spawn(program, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.debug === true ? { ...process.env, TR_DEBUG_FD: '2' } : process.env,
  });
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(error));
    child.once('exit', (code, signal) =>
      reject(new Error(`transmission-daemon exited (${code ?? signal}) during start-up:\n${output}`)),
    );
  });
  spawnFailed.catch(() => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(forced);
      }
    })();
    return stopping;
  };

  const client = rpcClient(rpcPort);
  try {
    const timeout = options.startTimeoutMs ?? 15_000;
    // Not a test connection: transmission holds one pending handshake per IP, and a probe that
    // connects and closes blocks the next loopback peer until transmission reaps it (~0.5 s).
    await Promise.race([waitForListener(rpcPort, timeout), spawnFailed]);
    await Promise.race([client.call('session-get', {}), spawnFailed]);
    await Promise.race([waitForListener(peerPort, timeout), spawnFailed]);
  } catch (error) {
    await stop();
    throw error;
  }

  const torrentInfo = async (id: number): Promise<TransmissionTorrentInfo> => {
    const result = await client.call('torrent-get', { ids: [id], fields: INFO_FIELDS });
    const torrents = result['torrents'];
    const first: unknown = Array.isArray(torrents) ? torrents[0] : undefined;
    if (first === undefined) throw new Error(`transmission has no torrent ${id}`);
    return readInfo(first);
  };

  const action = async (method: string, id: number): Promise<void> => {
    await client.call(method, { ids: [id] });
  };

  const poll = async (
    id: number,
    timeoutMs: number,
    what: string,
    done: (info: TransmissionTorrentInfo) => boolean,
  ): Promise<TransmissionTorrentInfo> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await torrentInfo(id);
      if (info.error === 3) throw new Error(`transmission torrent ${id}: ${info.errorString}`);
      if (done(info)) return info;
      if (Date.now() > deadline) {
        throw new Error(
          `transmission torrent ${id} not ${what} within ${timeoutMs} ms: ${JSON.stringify(info)}\n` +
            output.slice(-4000),
        );
      }
      await sleep(200);
    }
  };

  const verify = async (id: number, timeoutMs = 60_000): Promise<TransmissionTorrentInfo> => {
    await action('torrent-verify', id);
    // The RPC handler runs in the daemon's event thread and puts the torrent in the check queue
    // before it answers, so from here on "not checking" means "checked".
    return poll(id, timeoutMs, 'verified', (info) => !isChecking(info));
  };

  const addTorrent = async (
    torrentPath: string,
    downloadDir: string,
    addOptions: { readonly paused?: boolean } = {},
  ): Promise<number> => {
    await mkdir(downloadDir, { recursive: true });
    const result = await client.call('torrent-add', {
      filename: resolve(torrentPath),
      'download-dir': resolve(downloadDir),
      paused: addOptions.paused ?? false,
    });
    const added = result['torrent-added'] ?? result['torrent-duplicate'];
    const id = isRecord(added) ? added['id'] : undefined;
    if (typeof id !== 'number') throw new Error(`torrent-add gave no id: ${JSON.stringify(result)}`);
    return id;
  };

  return {
    peerPort,
    rpcPort,
    dir,
    pid: child.pid ?? -1,
    output: () => output,
    rpc: (method, args = {}) => client.call(method, args),
    addTorrent,
    async seed(torrentPath, dataDir, timeoutMs = 60_000) {
      const id = await addTorrent(torrentPath, dataDir, { paused: true });
      const info = await verify(id, timeoutMs);
      if (info.leftUntilDone !== 0 || info.percentDone !== 1) {
        throw new Error(`transmission cannot seed ${torrentPath}: data incomplete ${JSON.stringify(info)}`);
      }
      await action('torrent-start', id);
      await poll(id, timeoutMs, 'seeding', (state) => state.status === TorrentStatus.seeding);
      return id;
    },
    torrentInfo,
    verify,
    start: (id) => action('torrent-start', id),
    pause: (id) => action('torrent-stop', id),
    async remove(id, deleteData = false) {
      await client.call('torrent-remove', { ids: [id], 'delete-local-data': deleteData });
    },
    waitAnnounced: (id, timeoutMs = 15_000) => poll(id, timeoutMs, 'announced', (info) => info.announced),
    waitDone: (id, timeoutMs) =>
      poll(id, timeoutMs, 'complete', (info) => info.leftUntilDone === 0 && info.percentDone === 1 && !isChecking(info)),
    stop,
  };
}

/**
 * Resolves once some process listens on 127.0.0.1:port (or 0.0.0.0:port), read from
 * /proc/net/tcp so that nothing connects to the port. Linux only.
 */
export async function waitForListener(port: number, timeoutMs = 15_000): Promise<void> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const wanted = new Set([`0100007F:${hexPort}`, `00000000:${hexPort}`]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await readFile('/proc/net/tcp', 'latin1');
    const listening = table
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .some((fields) => fields[3] === '0A' && wanted.has(fields[1] ?? ''));
    if (listening) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** JSON-RPC over HTTP with the X-Transmission-Session-Id handshake (409 → retry with the id). */
function rpcClient(port: number): { call(method: string, args: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> } {
  let sessionId = '';
  const post = (body: string): Promise<{ status: number; sessionId: string; text: string }> =>
    new Promise((done, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/transmission/rpc',
          method: 'POST',
          agent: false,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            'X-Transmission-Session-Id': sessionId,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const header = res.headers['x-transmission-session-id'];
            done({
              status: res.statusCode ?? 0,
              sessionId: typeof header === 'string' ? header : '',
              text: Buffer.concat(chunks).toString(),
            });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('transmission RPC timed out')));
      req.on('error', reject);
      req.end(body);
    });
  return {
    async call(method, args) {
      const body = JSON.stringify({ method, arguments: args });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const reply = await post(body);
        if (reply.status === 409) {
          sessionId = reply.sessionId;
          continue;
        }
        if (reply.status !== 200) throw new Error(`transmission RPC ${method}: HTTP ${reply.status} ${reply.text}`);
        const parsed: unknown = JSON.parse(reply.text);
        if (!isRecord(parsed)) throw new Error(`transmission RPC ${method}: not an object: ${reply.text}`);
        if (parsed['result'] !== 'success') throw new Error(`transmission RPC ${method}: ${String(parsed['result'])}`);
        const result = parsed['arguments'];
        return isRecord(result) ? result : {};
      }
      throw new Error(`transmission RPC ${method}: no session id after 3 tries`);
    },
  };
}

function isChecking(info: TransmissionTorrentInfo): boolean {
  return info.status === TorrentStatus.checkWait || info.status === TorrentStatus.checking;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readInfo(value: unknown): TransmissionTorrentInfo {
  if (!isRecord(value)) throw new Error(`torrent-get: not an object: ${JSON.stringify(value)}`);
  const num = (key: string): number => {
    const field = value[key];
    return typeof field === 'number' ? field : 0;
  };
  const str = (key: string): string => {
    const field = value[key];
    return typeof field === 'string' ? field : '';
  };
  const peers = Array.isArray(value['peers']) ? value['peers'] : [];
  return {
    id: num('id'),
    name: str('name'),
    hashString: str('hashString'),
    status: num('status'),
    percentDone: num('percentDone'),
    leftUntilDone: num('leftUntilDone'),
    sizeWhenDone: num('sizeWhenDone'),
    haveValid: num('haveValid'),
    recheckProgress: num('recheckProgress'),
    rateDownload: num('rateDownload'),
    rateUpload: num('rateUpload'),
    downloadedEver: num('downloadedEver'),
    uploadedEver: num('uploadedEver'),
    corruptEver: num('corruptEver'),
    peersConnected: num('peersConnected'),
    peers: peers.filter(isRecord).map(readPeer),
    announced: (Array.isArray(value['trackerStats']) ? value['trackerStats'] : []).some(
      (tracker: unknown) => isRecord(tracker) && tracker['lastAnnounceSucceeded'] === true,
    ),
    error: num('error'),
    errorString: str('errorString'),
    downloadDir: str('downloadDir'),
  };
}

function readPeer(peer: Record<string, unknown>): TransmissionPeer {
  const num = (key: string): number => (typeof peer[key] === 'number' ? peer[key] : 0);
  const bool = (key: string): boolean => peer[key] === true;
  return {
    address: typeof peer['address'] === 'string' ? peer['address'] : '',
    port: num('port'),
    clientName: typeof peer['clientName'] === 'string' ? peer['clientName'] : '',
    isIncoming: bool('isIncoming'),
    isEncrypted: bool('isEncrypted'),
    progress: num('progress'),
    rateToClient: num('rateToClient'),
    rateToPeer: num('rateToPeer'),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
