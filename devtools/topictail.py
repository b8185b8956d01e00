"""`make topics`: print the platform's Kafka messages decoded, one JSON line each.

make topics                                  # every topic, from now on
make topics ARGS="--from-beginning jifang.device-state.v1"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import pkgutil
import sys

from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf import json_format, symbol_database
from google.protobuf.message import Message

import jifang.v1
from jifang.topics import catalogue


def message_class(full_name: str) -> type[Message]:
    for module in pkgutil.iter_modules(jifang.v1.__path__):
        importlib.import_module(f"jifang.v1.{module.name}")
    cls: type[Message] = symbol_database.Default().GetSymbol(full_name)
    return cls


async def tail(bootstrap: str, topics: list[str], from_beginning: bool, limit: int | None) -> None:
    classes = {t: message_class(catalogue()[t].message) for t in topics}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or []]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        printed = 0
        while limit is None or printed < limit:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for rec in records:
                    if rec.value is None or (limit is not None and printed >= limit):
                        continue
                    msg = classes[rec.topic].FromString(rec.value)
                    body = json_format.MessageToJson(msg, indent=None, ensure_ascii=False)
                    key = (rec.key or b"").decode()
                    print(f'{{"topic": "{rec.topic}", "key": "{key}", "message": {body}}}', flush=True)
                    printed += 1
    finally:
        await consumer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("topics", nargs="*", help="topics (default: all of proto/topics.yaml)")
    parser.add_argument("--from-beginning", action="store_true")
    parser.add_argument("--limit", type=int, default=None, help="stop after this many messages")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    args = parser.parse_args()
    topics = args.topics or sorted(catalogue())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(tail(args.bootstrap, topics, args.from_beginning, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
