"""Detector state memory, measured in fresh processes so nothing else sits in the resident set.

`build`: run simulated histories through the detection core and save each client's encoded Table value.
`hold`: keep N client states in a dict of bytes -> bytes (what the detector's in-memory Table holds),
each a saved state under a new client id, and print the resident-set growth as JSON. `--kind bare`
holds the bare agent's state instead (one count per client) as the baseline.
"""

import argparse
import gc
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench.workload import BENCH_NAMESPACE, client_ids, history


def build(out: Path, clients: int, days: int, seed: int) -> None:
    from schemas.checkin import CheckinSubmitted
    from services.detector.codec import encode_state
    from services.detector.core import evaluate, load_config

    config, now, states = load_config(None), datetime.now(UTC), {}
    for event in history(client_ids(clients, seed, "memory"), days, seed, now):
        checkin = CheckinSubmitted.model_validate(event)
        states[event["client_id"]], _ = evaluate(states.get(event["client_id"]), checkin, now, config)
    with out.open("w") as f:
        for index, (client, state) in enumerate(states.items()):
            f.write(json.dumps({"client_id": client, "value": encode_state(index % 6, state).hex()}) + "\n")


def hold(templates: Path, clients: int, kind: str) -> dict:
    from services.detector.codec import decode_state, encode_state

    saved = [decode_state(bytes.fromhex(json.loads(line)["value"])) for line in templates.open()]
    gc.collect()
    before = psutil.Process().memory_info().rss
    table: dict = {}
    for i in range(clients):
        partition, template = saved[i % len(saved)]
        client = str(uuid.uuid5(BENCH_NAMESPACE, f"held-{i}"))
        if kind == "bare":
            table[client] = 30  # the bare agent's Table: one count per client
        else:
            template.client_id = client  # the saved state under a new client id, encoded as the Table holds it
            table[client.encode()] = encode_state(partition, template)
    gc.collect()
    grown = psutil.Process().memory_info().rss - before
    serialised = sum(len(k) + (len(v) if isinstance(v, bytes) else len(str(v))) for k, v in table.items())
    return {"clients": clients, "rss_bytes": grown, "serialised_bytes": serialised}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--clients", type=int, default=200)
    b.add_argument("--days", type=int, default=60)
    b.add_argument("--seed", type=int, default=7)
    h = sub.add_parser("hold")
    h.add_argument("--templates", type=Path, required=True)
    h.add_argument("--clients", type=int, default=100_000)
    h.add_argument("--kind", choices=("detector", "bare"), default="detector")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.out, args.clients, args.days, args.seed)
    else:
        json.dump(hold(args.templates, args.clients, args.kind), sys.stdout)


if __name__ == "__main__":
    main()
