"""The detector's baseline: a bare faust agent that only updates one Table entry (a count) per check-in.

Run as its own process: `python -m bench.bare_agent --bootstrap HOST:PORT --web-port N`.
It reads the same topic as the detector, with the same broker settings, and does no parsing beyond the key.
"""

import argparse
import sys

import faust

from schemas.topics import CHECKINS
from services.common.runtime import settle_heap

PROCESSED_METRIC = "rapport_bench_bare_events_total"


def build_app(bootstrap: str, web_port: int, app_id: str, session_timeout_s: float, commit_interval_s: float,
              partitions: int, producer_linger_s: float = 0.0) -> faust.App:
    """A faust app with one agent and one Table: checkins seen per client."""
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_port=web_port,
        web_host="127.0.0.1",
        broker_session_timeout=session_timeout_s,
        broker_heartbeat_interval=max(session_timeout_s / 5, 0.5),
        broker_commit_interval=commit_interval_s,
        consumer_auto_offset_reset="earliest",
        topic_partitions=partitions,
        topic_allow_declare=True,
        producer_linger=producer_linger_s,
    )
    topic = app.topic(CHECKINS, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    checkins_per_client = app.Table("bench-bare-checkins", default=int, partitions=partitions)

    processed = [0]

    @app.agent(topic)
    async def count(stream):
        async for event in stream.events():
            checkins_per_client[event.key.decode()] += 1
            processed[0] += 1

    @app.page("/metrics")
    async def metrics(web, request):
        return web.text(f"{PROCESSED_METRIC} {processed[0]}\n", content_type="text/plain; version=0.0.4")

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap host:port")
    parser.add_argument("--web-port", type=int, required=True)
    parser.add_argument("--app-id", default="rapport-bench-bare")
    parser.add_argument("--session-timeout", type=float, default=6.0, help="seconds")
    parser.add_argument("--commit-interval", type=float, default=2.8, help="seconds (faust's default is 2.8)")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--producer-linger", type=float, default=0.0,
                        help="seconds the changelog producer waits to batch (faust's default 0: one request per write)")
    args = parser.parse_args(argv)
    app = build_app(args.bootstrap, args.web_port, args.app_id, args.session_timeout, args.commit_interval,
                    args.partitions, args.producer_linger)
    settle_heap()  # the collector settings the detector's worker runs with
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn", "--web-port", str(args.web_port)]
    app.main()


if __name__ == "__main__":
    main()
