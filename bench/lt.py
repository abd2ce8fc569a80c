#!/usr/bin/python3
"""libtorrent-rasterbar (python3-libtorrent, Debian's /usr/bin/python3) for bench/run.ts.

  lt.py leech TORRENT OUT_DIR PORT   download, print {"type":"done",...}, exit 0
  lt.py seed  TORRENT DATA_DIR PORT  seed (seed_mode: no check) until SIGTERM or "quit" on stdin;
                                     "connect PORT" on stdin dials 127.0.0.1:PORT (transmission
                                     never dials loopback peers, so a seeder must dial it)

Loopback only, TCP only, plain handshakes out; DHT, LSD, UPnP, NAT-PMP never start
(/work/shared/INTEROP.md). One JSON object per line on stdout."""
import json
import select
import signal
import sys
import time

import libtorrent as lt

mode, torrent, folder, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
session = lt.session({
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "dht_bootstrap_nodes": "", "listen_interfaces": f"127.0.0.1:{port}",
    "allow_multiple_connections_per_ip": True,
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "out_enc_policy": int(lt.enc_policy.disabled), "in_enc_policy": int(lt.enc_policy.enabled),
    "allowed_enc_level": int(lt.enc_level.both),
    "alert_mask": int(lt.alert_category.status | lt.alert_category.error | lt.alert_category.tracker),
})
params = lt.add_torrent_params()
params.ti = lt.torrent_info(torrent)
params.save_path = folder
if mode == "seed":
    params.flags |= lt.torrent_flags.seed_mode
handle = session.add_torrent(params)


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
announced = False
ready = False
finished = False
started = time.time()
while not stopping:
    for alert in session.pop_alerts():
        if isinstance(alert, lt.tracker_reply_alert):
            announced = True
        elif isinstance(alert, (lt.tracker_error_alert, lt.torrent_error_alert)):
            say({"type": "warning", "message": alert.message()})
    status = handle.status()
    if mode == "seed":
        if not ready and announced and status.is_seeding:
            ready = True
            say({"type": "ready", "port": session.listen_port()})
        readable, _, _ = select.select([sys.stdin], [], [], 0.1)
        if readable:
            line = sys.stdin.readline()
            if line == "" or line.strip() == "quit":
                break
            words = line.split()
            if len(words) == 2 and words[0] == "connect":
                handle.connect_peer(("127.0.0.1", int(words[1])))
    else:
        if status.is_finished or status.is_seeding:
            say({"type": "done", "seconds": time.time() - started, "downloaded": status.total_payload_download})
            finished = True
            break
        time.sleep(0.05)

status = handle.status()
session.remove_torrent(handle)
deadline = time.time() + 5
while time.time() < deadline:
    if any(isinstance(a, lt.torrent_removed_alert) for a in session.pop_alerts()):
        break
    time.sleep(0.05)
say({"type": "stopped", "uploaded": status.total_payload_upload})
sys.exit(0 if mode == "seed" or finished else 1)
