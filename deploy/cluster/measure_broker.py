"""Measure the shipped hall broker config: TLS connects/s, memory per connection, QoS 1 rate.

Run from the repository root with the venv (it reuses the test harness that generates the PKI,
users and ACL and starts Mosquitto from deploy/mosquitto/mosquitto.conf):

    .venv/bin/python deploy/cluster/measure_broker.py --devices 200 --messages 50

Prints one JSON line. The figures feed deploy/cluster/CAPACITY.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.topics import Channel, build_topic, subscription
from tests.deploy.securebroker import Peer, SecureBroker, new_tmp_root, wait_for


def synthetic_hall(folder: Path, devices: int) -> Path:
    """A hall `bench` with `devices` away signs, ten per node."""
    (folder / "devices").mkdir(parents=True)
    (folder / "hall.toml").write_text('id = "bench"\nname = "bench"\n', encoding="utf-8")
    for i in range(devices):
        (folder / "devices" / f"d{i:05d}.toml").write_text(
            f'id = "d{i:05d}"\nkind = "away_sign"\nnode = "pi-{i // 10:04d}"\n', encoding="utf-8"
        )
    return folder


def rss_kb(pid: int) -> int:
    """Resident memory of a process (kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    """Start the broker, connect the devices over mutual TLS, publish, print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--devices", type=int, default=200)
    p.add_argument("--messages", type=int, default=50, help="QoS 1 events per device")
    args = p.parse_args()
    root = new_tmp_root()
    try:
        hall = synthetic_hall(root / "hall", args.devices)
        sb = SecureBroker(root, hall, hub_users=("hub",)).generate().start()  # mutual TLS
        assert sb.proc is not None
        hub = Peer(sb, "hub", tls=False).start()
        hub.subscribe(subscription(Channel.EVT))
        idle = rss_kb(sb.proc.pid)
        c0 = cpu_s(sb.proc.pid)
        t0 = time.perf_counter()
        peers = [Peer(sb, f"d{i:05d}").start() for i in range(args.devices)]
        connect_s = time.perf_counter() - t0
        assert all(x.accepted for x in peers)
        connected = rss_kb(sb.proc.pid)
        c1 = cpu_s(sb.proc.pid)
        payload = b"x" * 300  # about the size of an envelope
        total = args.devices * args.messages
        t1 = time.perf_counter()
        infos: list[mqtt.MQTTMessageInfo] = []

        def send(peer: Peer, device: str) -> None:
            for _ in range(args.messages):
                infos.append(
                    peer.client.publish(build_topic("bench", device, Channel.EVT), payload, qos=1)
                )

        threads = [
            threading.Thread(target=send, args=(x, f"d{i:05d}")) for i, x in enumerate(peers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_for(lambda: len(hub.messages) >= total, timeout=300, what="all events at the hub")
        rate_s = time.perf_counter() - t1
        c2 = cpu_s(sb.proc.pid)
        print(
            json.dumps(
                {
                    "devices": args.devices,
                    "messages": total,
                    "tls_connects_per_s": round(args.devices / connect_s, 1),
                    "broker_rss_idle_kb": idle,
                    "broker_rss_per_tls_connection_kb": round((connected - idle) / args.devices, 1),
                    "broker_cpu_ms_per_tls_connect": round((c1 - c0) * 1000 / args.devices, 2),
                    # the Python publishers are the bottleneck here: the rate is a lower bound, the
                    # broker's CPU per message is the figure to plan with
                    "qos1_tls_in_loopback_out_per_s": round(total / rate_s, 1),
                    "broker_cpu_us_per_message": round((c2 - c1) * 1e6 / total, 1),
                    "load_average": os.getloadavg()[0],
                    "cpus": os.cpu_count(),
                }
            )
        )
        for x in [*peers, hub]:
            x.close()
        sb.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
