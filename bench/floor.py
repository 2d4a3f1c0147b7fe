"""The floor: a raw producer and consumer of Singer RECORD lines with msgspec, no SDK.

`python -m bench.floor produce FILE` streams the RECORD lines of a captured tap output, decoding
and re-encoding each (so both ends pay one JSON decode per record, and the producer one encode);
`python -m bench.floor consume` decodes every line of stdin and counts the records.
"""

from __future__ import annotations

import sys

import msgspec


def produce(path: str) -> int:
    """Stream the captured RECORD lines: decode each, re-encode it, write it (buffered)."""
    decoder = msgspec.json.Decoder()
    encoder = msgspec.json.Encoder()
    out = sys.stdout.buffer
    buffer = bytearray()
    with open(path, "rb") as source:
        for line in source:
            message = decoder.decode(line)
            if message.get("type") != "RECORD":
                continue
            encoder.encode_into(message, buffer, len(buffer))
            buffer.extend(b"\n")
            if len(buffer) > 1 << 16:
                out.write(buffer)
                buffer.clear()
    out.write(buffer)
    out.flush()
    return 0


def consume() -> int:
    """Decode each line from stdin; report the count on stderr."""
    decoder = msgspec.json.Decoder()
    count = 0
    for line in sys.stdin.buffer:
        message = decoder.decode(line)
        if message["type"] == "RECORD":
            count += 1
    print(count, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(produce(sys.argv[2]) if sys.argv[1] == "produce" else consume())
