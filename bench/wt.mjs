// WebTorrent (the `webtorrent` package, 1.x: the last line that runs on Node 20) for bench/run.ts.
//
//   node bench/wt.mjs leech TORRENT OUT_DIR PORT   download, print {"type":"done",...}, exit 0
//
// Peers come from the torrent's tracker (the bench's, on 127.0.0.1). Loopback only: no DHT, no
// local service discovery, no uTP, no web seeds (/work/shared/INTEROP.md). One JSON object per
// line on stdout; exits 1 on the first error.
import WebTorrent from 'webtorrent';

const [mode, torrent, out, port] = process.argv.slice(2);
if (mode !== 'leech' || torrent === undefined || out === undefined || port === undefined) {
  process.stderr.write('usage: node bench/wt.mjs leech TORRENT OUT_DIR PORT\n');
  process.exit(2);
}
const say = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);
const fail = (error) => {
  say({ type: 'error', message: String(error) });
  process.exit(1);
};
const started = Date.now();
const client = new WebTorrent({ dht: false, lsd: false, utp: false, webSeeds: false, torrentPort: Number(port) });
client.on('error', fail);
const added = client.add(torrent, { path: out });
added.on('error', fail);
added.on('done', () => {
  say({ type: 'done', seconds: (Date.now() - started) / 1000, downloaded: added.downloaded });
  client.destroy(() => process.exit(0));
});
