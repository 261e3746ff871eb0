"""NMEA 0183 `*hh` checksums, checked without a Python-level loop over each byte.

The AIS decoder checks every sentence before parsing it; pyais' `compute_checksum` XORs the bytes
one by one through `functools.reduce`, which is most of a line's checking cost. Here the bytes are
read as one integer and folded in halves, and the two hex digits come from a precomputed table.
"""

from __future__ import annotations

_HEX_DIGITS = "0123456789ABCDEFabcdef"
# Every two-character hex pair, either case, to its value: one dict lookup per sentence.
HEX_PAIRS: dict[bytes, int] = {
    (a + b).encode(): int(a + b, 16) for a in _HEX_DIGITS for b in _HEX_DIGITS
}
_UNROLLED_BYTES = 128  # the fixed folds below cover bodies up to this length


def stated_checksum(sentence: bytes) -> int | None:
    """The `*hh` at the end of a sentence with exactly one '*'; None when it has no such ending
    (no '*', two sentences glued together, one digit, not hex)."""
    star = sentence.find(b"*")
    if star < 0 or star != len(sentence) - 3:
        return None
    return HEX_PAIRS.get(sentence[star + 1 :])


def stated_and_computed(sentence: bytes) -> tuple[int, int] | None:
    """Both checksums in one pass over the '*': None when `stated_checksum` would be None."""
    star = sentence.find(b"*")
    if star < 0 or star != len(sentence) - 3:
        return None
    stated = HEX_PAIRS.get(sentence[star + 1 :])
    return None if stated is None else (stated, xor_fold(sentence[1:star]))


def computed_checksum(sentence: bytes) -> int:
    """XOR of the bytes after the leading '!' or '$' and before the first '*' (or the end):
    the same value as pyais' `compute_checksum`."""
    star = sentence.find(b"*")
    return xor_fold(sentence[1:star] if star >= 0 else sentence[1:])


def xor_fold(body: bytes) -> int:
    """XOR of all the bytes of `body`: a sentence's checksum from the bytes between its
    leading '!' or '$' and its '*'."""
    x = int.from_bytes(body, "little")
    if len(body) > _UNROLLED_BYTES:  # long lines: halve down to the unrolled width first
        width = 1 << (len(body) - 1).bit_length()
        while width > _UNROLLED_BYTES:
            width >>= 1
            x ^= x >> (8 * width)
    # Each step XORs the upper half of the low 2w bytes onto the lower half; bits above are
    # left as they are and never read again.
    x ^= x >> 512
    x ^= x >> 256
    x ^= x >> 128
    x ^= x >> 64
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    return x & 0xFF
