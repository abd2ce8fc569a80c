import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import * as http from 'node:http';
import { boundPort } from '../support/ports.js';
import { firstValueFrom } from 'rxjs';
import { encodeBencode } from '../../src/bencode/index.js';
import type { BencodeValue } from '../../src/bencode/index.js';
import { httpAnnounce } from '../../src/io/http-tracker.js';
import type { AnnounceParams } from '../../src/tracker/announce-types.js';

const params: AnnounceParams = {
  infoHash: Uint8Array.from({ length: 20 }, (_, i) => i * 13),
  peerId: new TextEncoder().encode('-RX0010-000000000000'),
  port: 6881,
  uploaded: 0,
  downloaded: 0,
  left: 10,
  event: 'started',
};

const bencoded = (entries: Record<string, BencodeValue>): Buffer =>
  Buffer.from(encodeBencode(new Map(Object.entries(entries))));

describe('httpAnnounce against a local HTTP server', () => {
  let server: http.Server;
  let base = '';
  const seen: string[] = [];
  let aborted: Promise<void> = Promise.resolve();
  let markAborted = (): void => undefined;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(req.url ?? '');
      switch (url.pathname) {
        case '/ok':
          res.end(bencoded({ interval: 1800, peers: Buffer.from([127, 0, 0, 1, 0x1a, 0xe1]) }));
          return;
        case '/status500':
          res.statusCode = 500;
          res.end(bencoded({ interval: 1 }));
          return;
        case '/failure':
          res.end(bencoded({ 'failure reason': Buffer.from('torrent not registered') }));
          return;
        case '/html':
          res.end('<html>hello</html>');
          return;
        case '/big-declared':
          res.setHeader('content-length', '5000');
          res.end(Buffer.alloc(5000, 0x61));
          return;
        case '/big-chunked':
          res.write(Buffer.alloc(600, 0x61));
          res.write(Buffer.alloc(600, 0x61));
          setTimeout(() => res.end(Buffer.alloc(600, 0x61)), 20);
          return;
        case '/loop':
          res.statusCode = 302;
          res.setHeader('location', '/loop');
          res.end();
          return;
        case '/hop':
          res.statusCode = 301;
          res.setHeader('location', `/ok?${url.search.slice(1)}`);
          res.end();
          return;
        case '/silent':
          req.on('close', () => markAborted());
          return; // never answers
        default:
          res.statusCode = 404;
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${boundPort(server)}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('announces and parses the peers, sending binary fields percent-encoded', async () => {
    const response = await firstValueFrom(httpAnnounce(`${base}/ok?passkey=abc`, params));
    expect(response).toEqual({ interval: 1800, peers: [{ host: '127.0.0.1', port: 6881 }] });
    const request = seen.find((url) => url.startsWith('/ok?passkey=abc&info_hash='));
    expect(request).toContain('info_hash=%00%0D%1A');
    expect(request).toContain('peer_id=-RX0010-000000000000');
    expect(request).toContain('event=started');
  });

  it.each([
    ['/status500', { kind: 'http-status', status: 500 }],
    ['/failure', { kind: 'failure', reason: 'torrent not registered' }],
    ['/html', { kind: 'malformed' }],
    ['/big-declared', { kind: 'response-too-large', max: 1000 }],
    ['/big-chunked', { kind: 'response-too-large', max: 1000 }],
    ['/loop', { kind: 'too-many-redirects', max: 3 }],
    ['/missing', { kind: 'http-status', status: 404 }],
  ])('fails %s with a typed error', async (path, detail) => {
    await expect(firstValueFrom(httpAnnounce(`${base}${path}`, params, { maxBytes: 1000, maxRedirects: 3 }))).rejects.toMatchObject({
      name: 'TrackerError',
      detail,
    });
  });

  it('follows a redirect', async () => {
    const response = await firstValueFrom(httpAnnounce(`${base}/hop`, params));
    expect(response.peers).toEqual([{ host: '127.0.0.1', port: 6881 }]);
  });

  it('times out a silent tracker and closes the connection', async () => {
    aborted = new Promise<void>((resolve) => {
      markAborted = resolve;
    });
    const started = Date.now();
    await expect(firstValueFrom(httpAnnounce(`${base}/silent`, params, { timeout: 150 }))).rejects.toMatchObject({
      detail: { kind: 'timeout', ms: 150 },
    });
    expect(Date.now() - started).toBeLessThan(2000);
    await aborted;
  });

  it('aborts the request on unsubscribe', async () => {
    aborted = new Promise<void>((resolve) => {
      markAborted = resolve;
    });
    const subscription = httpAnnounce(`${base}/silent`, params).subscribe({ error: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 50));
    subscription.unsubscribe();
    await aborted;
  });

  it('reports a refused connection as a network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = boundPort(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(firstValueFrom(httpAnnounce(`http://127.0.0.1:${port}/announce`, params))).rejects.toMatchObject({
      detail: { kind: 'network', code: 'ECONNREFUSED' },
    });
  });

  it('rejects a non-HTTP URL', async () => {
    await expect(firstValueFrom(httpAnnounce('ftp://127.0.0.1/announce', params))).rejects.toMatchObject({
      detail: { kind: 'unsupported-url' },
    });
  });
});
