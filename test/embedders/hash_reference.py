#!/usr/bin/env python3
"""An independent implementation of HashEmbedder's algorithm (see src/embedders/hash.ts), used to pin
its output across platforms. Reads JSON {"text": str, "dimension": int} per line on stdin; writes one
JSON list per line: the float32 bit patterns (as unsigned ints) of the embedding's components."""
import json
import math
import struct
import sys


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def hash_embed(text: str, dimension: int) -> list:
    data = text.encode("utf-8")
    acc = [0] * dimension
    tokens, current = [], bytearray()
    for b in data:
        if b >= 0x80 or chr(b).isascii() and chr(b).isalnum():
            current.append(b + 0x20 if 0x41 <= b <= 0x5A else b)
        elif current:
            tokens.append(bytes(current))
            current = bytearray()
    if current:
        tokens.append(bytes(current))
    for token in tokens:
        h = fmix32(fnv1a(token))
        acc[h % dimension] += 1 if h >> 31 == 0 else -1
    if all(x == 0 for x in acc):
        acc[fmix32(fnv1a(data)) % dimension] = 1
    norm = math.sqrt(sum(x * x for x in acc))
    # float64 division, then round to nearest float32 (struct packs with IEEE round-half-even).
    return [struct.unpack("<I", struct.pack("<f", x / norm))[0] for x in acc]


if __name__ == "__main__":
    for line in sys.stdin:
        if line.strip():
            case = json.loads(line)
            print(json.dumps(hash_embed(case["text"], case["dimension"])))
