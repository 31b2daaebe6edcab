"""Generate a hall broker's Mosquitto password file and ACL from the hall layout in firmware_cfg/.

Run with the hallkeeper venv (it reads the layout with models.layout.load_hall):

    .venv/bin/python deploy/mosquitto/make_users.py --hall firmware_cfg/halls/demo --out OUT \
        [--identity device|node] [--hub-user hub ...] [--ha-user homeassistant] \
        [--pki deploy-pki-dir]
    .venv/bin/python deploy/mosquitto/make_users.py --role central --hall H1 --hall H2 --out OUT

Writes OUT/passwd (hashed by mosquitto_passwd -U), OUT/acl, OUT/secrets/<user>.password (mode
0600; kept across runs, so re-running after adding a device changes no existing password) and
OUT/nodes/<node>.users (the MQTT users each Pi's agent logs in as). With --pki it also issues a
client certificate per user with deploy/pki/make-certs.sh.

Identity scheme (see deploy/README.md): a hall broker serves ONE hall, so the hall id is fixed
in the ACL and the MQTT username is the device id (`--identity device`, the default: `pattern`
lines with %u), or the node id when an agent uses one session for all its devices
(`--identity node`: explicit `user` blocks listing that node's devices). Hub users read every
device's evt/hb/state (also as $share/ subscriptions) and write cfg/cmd/ack. A central broker
(`--role central`) has the hub users and one bridge user per hall, `bridge-<hall>`.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from hub.hass.discovery import ROOT as HA_ROOT  # where the hub's bridge publishes states
from models.layout import Hall, load_hall
from models.topics import ROOT, VERSION_SEGMENT, Channel

logger = logging.getLogger(__name__)

PREFIX = f"{ROOT}/{VERSION_SEGMENT}"
UP = (Channel.EVT, Channel.HB, Channel.STATE)
"""Channels a device writes (edge -> hub)."""
DOWN = (Channel.CFG, Channel.CMD, Channel.ACK)
"""Channels a device reads (hub -> edge): its config, its commands, the hub's acknowledgement."""
HA_DISCOVERY = "homeassistant"
"""Home Assistant's discovery prefix (the hub's HK_HA_PREFIX default)."""
MAKE_CERTS = Path(__file__).resolve().parents[1] / "pki" / "make-certs.sh"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def _topic(hall: str, device: str, channel: Channel) -> str:
    return f"{PREFIX}/{hall}/{device}/{channel.value}"


def hub_acl(hub_users: Iterable[str]) -> list[str]:
    """ACL blocks for hub users: read every device's uplink, write every device's downlink."""
    lines: list[str] = []
    for user in hub_users:
        lines.append(f"user {user}")
        for ch in UP:
            # Mosquitto checks a $share/<group>/<filter> subscription against <filter>; the
            # explicit $share line documents the intent and covers brokers that do not strip it.
            lines.append(f"topic read {_topic('+', '+', ch)}")
            lines.append(f"topic read $share/+/{_topic('+', '+', ch)}")
        for ch in DOWN:
            lines.append(f"topic write {_topic('+', '+', ch)}")
        # The Home Assistant bridge of the hub (HK_HA_DISCOVERY): discovery and device states.
        lines += [f"topic write {HA_DISCOVERY}/#", f"topic write {HA_ROOT}/#"]
        lines.append("")
    return lines


def ha_acl(ha_user: str) -> list[str]:
    """Home Assistant's own login: reads what the hub's bridge publishes, says its own status."""
    return [
        f"user {ha_user}",
        f"topic read {HA_DISCOVERY}/#",
        f"topic read {HA_ROOT}/#",
        f"topic write {HA_DISCOVERY}/status",  # Home Assistant's birth/will message
        "",
    ]


def device_patterns(hall: str) -> list[str]:
    """`pattern` lines: the user named like a device writes its uplink, reads its downlink."""
    lines = [f"pattern write {_topic(hall, '%u', ch)}" for ch in UP]
    lines += [f"pattern read {_topic(hall, '%u', ch)}" for ch in DOWN]
    return lines


def node_acl(hall: Hall) -> list[str]:
    """Explicit `user` blocks: each node (Pi) writes and reads the topics of its own devices."""
    lines: list[str] = []
    for node in sorted({d.node for d in hall.devices}):
        lines.append(f"user {node}")
        for dev in hall.node_devices(node):
            lines += [f"topic write {_topic(hall.id, dev.id, ch)}" for ch in UP]
            lines += [f"topic read {_topic(hall.id, dev.id, ch)}" for ch in DOWN]
        lines.append("")
    return lines


def bridge_acl(hall_id: str) -> list[str]:
    """A hall bridge on the central broker: that hall's uplink in, its downlink out."""
    lines = [f"user bridge-{hall_id}"]
    lines += [f"topic write {_topic(hall_id, '+', ch)}" for ch in UP]
    lines += [f"topic read {_topic(hall_id, '+', ch)}" for ch in DOWN]
    return [*lines, ""]


def hall_users(hall: Hall, identity: str, hub_users: Sequence[str]) -> dict[str, list[str]]:
    """Every MQTT user of a hall broker, grouped by node ('' for hub users)."""
    groups: dict[str, list[str]] = {"": list(hub_users)}
    for dev in hall.devices:
        names = groups.setdefault(dev.node, [])
        name = dev.id if identity == "device" else dev.node
        if name not in names:
            names.append(name)
    return groups


def check_unique(users: Iterable[str], reserved: Iterable[str]) -> None:
    """Refuse a device/node username that collides with a hub or bridge user (the ACL would mix)."""
    taken = set(reserved)
    clash = sorted(u for u in users if u in taken)
    if clash:
        raise SystemExit(f"make_users: user name(s) used twice: {', '.join(clash)}")


def hall_acl(
    hall: Hall, identity: str, hub_users: Sequence[str], ha_user: str | None = None
) -> str:
    """The ACL file of one hall's broker."""
    head = [
        f"# Generated by deploy/mosquitto/make_users.py for hall {hall.id!r} "
        f"(identity: {identity}). Do not edit: re-run the generator.",
        "# No lines before the first `user`: anonymous clients get nothing "
        "(and are refused anyway).",
        "",
    ]
    body = hub_acl(hub_users) + (ha_acl(ha_user) if ha_user else [])
    if identity == "device":
        body += [
            "# Every device user: its own topics only (%u = username = device id).",
            *device_patterns(hall.id),
            "",
        ]
    else:
        body += node_acl(hall)
    return "\n".join(head + body)


def central_acl(halls: Sequence[Hall], hub_users: Sequence[str]) -> str:
    """The ACL file of a central broker that hall brokers bridge to."""
    lines = ["# Generated by deploy/mosquitto/make_users.py --role central. Do not edit.", ""]
    lines += hub_acl(hub_users)
    for hall in halls:
        lines += bridge_acl(hall.id)
    return "\n".join(lines)


def write_credentials(out: Path, users: Sequence[str], mosquitto_passwd: str) -> dict[str, str]:
    """Write OUT/secrets/<user>.password (kept if present) and the hashed OUT/passwd."""
    secret_dir = out / "secrets"
    secret_dir.mkdir(parents=True, exist_ok=True)
    secret_dir.chmod(0o700)
    passwords: dict[str, str] = {}
    for user in users:
        path = secret_dir / f"{user}.password"
        if path.exists():
            passwords[user] = path.read_text(encoding="utf-8").strip()
            continue
        passwords[user] = secrets.token_urlsafe(24)
        path.touch(mode=0o600)
        path.write_text(passwords[user] + "\n", encoding="utf-8")
    plain = out / "passwd.tmp"
    plain.touch(mode=0o600)
    try:
        plain.write_text("".join(f"{u}:{passwords[u]}\n" for u in users), encoding="utf-8")
        subprocess.run([mosquitto_passwd, "-U", str(plain)], check=True, capture_output=True)
        plain.replace(out / "passwd")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"make_users: hashing with {mosquitto_passwd} failed: {exc}") from None
    finally:
        plain.unlink(missing_ok=True)  # never leave the plain-text file behind
    return passwords


def issue_certs(pki: Path, users: Sequence[str]) -> None:
    """A client certificate (CN = user) for every user, from the CA in `pki`."""
    subprocess.run(
        ["bash", str(MAKE_CERTS), "-d", str(pki), "client", *users], check=True, capture_output=True
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument(
        "--hall",
        action="append",
        required=True,
        type=Path,
        help="Hall folder (firmware_cfg/halls/<hall>); repeat for --role central",
    )
    p.add_argument("--out", required=True, type=Path, help="Output folder")
    p.add_argument("--role", choices=("hall", "central"), default="hall")
    p.add_argument(
        "--identity",
        choices=("device", "node"),
        default="device",
        help="MQTT username = device id (default) or node id",
    )
    p.add_argument(
        "--hub-user",
        action="append",
        default=None,
        help="Hub user name (one per ingest worker); default: hub",
    )
    p.add_argument(
        "--ha-user", help="Home Assistant's MQTT user: reads the hub's discovery and states"
    )
    p.add_argument("--pki", type=Path, help="Issue client certificates from the CA in this folder")
    p.add_argument("--mosquitto-passwd", default=MOSQUITTO_PASSWD)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate passwd, acl, secrets (and certificates) for a hall or central broker."""
    args = parse_args(argv)
    hub_users: list[str] = args.hub_user or ["hub"]
    halls = [load_hall(folder) for folder in args.hall]
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.role == "central":
        users = [*hub_users, *(f"bridge-{h.id}" for h in halls)]
        check_unique(users[len(hub_users) :], hub_users)
        acl = central_acl(halls, hub_users)
        groups: dict[str, list[str]] = {}
    else:
        if len(halls) != 1:
            raise SystemExit("make_users: a hall broker serves one hall; give --hall once")
        groups = hall_users(halls[0], args.identity, hub_users)
        edge_users = [u for node, names in groups.items() if node for u in names]
        others = [*hub_users, *([args.ha_user] if args.ha_user else [])]
        check_unique(edge_users, others)
        users = [*others, *edge_users]
        acl = hall_acl(halls[0], args.identity, hub_users, args.ha_user)
    (out / "acl").write_text(acl, encoding="utf-8")
    write_credentials(out, users, args.mosquitto_passwd)
    nodes = out / "nodes"
    nodes.mkdir(exist_ok=True)
    for node, names in groups.items():
        if node:
            (nodes / f"{node}.users").write_text("\n".join(names) + "\n", encoding="utf-8")
    if args.pki:
        issue_certs(args.pki, users)
    logger.info("wrote %d users to %s", len(users), out)
    print(f"make_users: {len(users)} users, acl and passwd in {out}")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
