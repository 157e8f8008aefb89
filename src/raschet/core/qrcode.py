"""QR code symbols (ISO/IEC 18004:2015) in byte mode, encoded with numpy.

Included: one byte-mode segment (mode indicator ``0100``, an 8-bit character count up to
version 9 and a 16-bit one from version 10, §7.4.4, Table 3), the terminator and the pad
codewords 0xEC/0x11 (§7.4.9–7.4.10), the smallest version 1–40 that holds the data at the
chosen error correction level L, M, Q or H (Table 7), the block structure of Table 9,
Reed–Solomon error correction over GF(256) with the polynomial 0x11D (§7.5.2), interleaving
(§7.6), remainder bits, placement (§7.7), the function patterns (§6.3: finders, separators,
timing, alignment patterns of Annex E, the dark module), format information (BCH(15,5),
XOR 0x5412, §7.9) and version information from version 7 (BCH(18,6), §7.10), and the choice
of the data mask by the four penalty rules of §7.8.3.1, Table 11.

Not included: the other modes (numeric, alphanumeric, kanji), ECI designators, structured
append, Micro QR, and drawing (the result is a boolean matrix; a renderer scales it).

How it is fast: everything that depends only on (version, level) is computed once and
cached — the function patterns; where every module's bit comes from in the codeword buffer
(interleaving, placement order and remainder bits folded into one index array); the eight
masks with their format information; and Reed–Solomon as a lookup table (the remainder is
linear over GF(256), so a block's error correction codewords are the XOR of one table row
per data codeword, all blocks at once). Encoding a payload is then a few dozen array
operations: one gather places every module, and the eight masked candidates are scored
together with every row and column packed as bits of 64-bit words (the note above
_pack_lines), so each penalty rule is a handful of bitwise operations and a popcount.
About 0.1–0.15 ms for a 400-byte payload (version 15) where zxing-cpp's encoder takes
1.5–2.5 ms.

Interpretations of Table 11 where the text leaves room (each pinned by a test):

* The evaluated area is the complete symbol — function patterns, the format information
  for the mask being scored, the version information and the dark module included (§7.8.3.1:
  "although the data masking operation is only performed on the encoding region of the symbol
  excluding the format information, the area to be evaluated is the complete symbol").
* N3: each 1:1:3:1:1 pattern (dark–light–dark×3–light–dark) scores 40, once, if at least
  four light modules precede it or follow it in its row or column; modules outside the
  symbol count as light (they are the quiet zone); patterns that share modules each count.
* N4: k = ⌊|20·dark − 10·total| / total⌋ — the deviation from 50 % in whole 5 % steps,
  computed in integers (a float computation can drop a step at an exact boundary).
* Ties between masks go to the lowest mask number.
"""

from __future__ import annotations

import operator
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
IntP = npt.NDArray[np.intp]
Bool = npt.NDArray[np.bool_]

QrLevel = Literal["L", "M", "Q", "H"]
EC_LEVELS: Final[tuple[QrLevel, ...]] = ("L", "M", "Q", "H")
MIN_VERSION: Final = 1
MAX_VERSION: Final = 40

# The two format-information bits of each level (§7.9.1, Table 12).
_EC_FORMAT_BITS: Final = {"L": 0b01, "M": 0b00, "Q": 0b11, "H": 0b10}

# ISO/IEC 18004:2015 Table 9, versions 1..40: error correction codewords per block …
_EC_CODEWORDS_PER_BLOCK: Final = {
    "L": (7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
          28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "M": (10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
          26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28),
    "Q": (13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
          28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "H": (17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
          30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
}  # fmt: skip
# … and the number of blocks (both groups together).
_EC_BLOCKS: Final = {
    "L": (1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
          8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25),
    "M": (1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
          17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49),
    "Q": (1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
          23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68),
    "H": (1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
          25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81),
}  # fmt: skip

_PAD_CODEWORDS: Final = (0xEC, 0x11)  # §7.4.10
_FORMAT_MASK: Final = 0x5412  # §7.9.1
_FORMAT_GENERATOR: Final = 0x537  # x^10 + x^8 + x^5 + x^4 + x^2 + x + 1
_VERSION_GENERATOR: Final = 0x1F25  # x^12 + x^11 + x^10 + x^9 + x^8 + x^5 + x^2 + 1
_GF_POLYNOMIAL: Final = 0x11D  # x^8 + x^4 + x^3 + x^2 + 1 (§7.5.2)

# Penalty weights (Table 11).
_N1: Final = 3
_N2: Final = 3
_N3: Final = 40
_N4: Final = 10


class QrCapacityError(ValueError):
    """The data do not fit a QR symbol at the requested level (or version)."""


@dataclass(frozen=True, slots=True)
class QrSymbol:
    """An encoded symbol: ``modules`` (True = dark) without the quiet zone, the version,
    level and mask used, and the penalty of each of the eight masks (Table 11)."""

    version: int
    ec_level: QrLevel
    mask: int
    modules: Bool
    penalties: tuple[int, ...]


# --- GF(256) ----------------------------------------------------------------------------


def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 255
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= _GF_POLYNOMIAL
    return exp, log


_GF_EXP, _GF_LOG = _gf_tables()


def _gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _GF_EXP[(_GF_LOG[a] + _GF_LOG[b]) % 255]


def _rs_generator(degree: int) -> list[int]:
    """Coefficients of ∏(x − α^i), i < degree, highest power first (monic)."""
    poly = [1]
    for i in range(degree):
        root = _GF_EXP[i]
        poly = [a ^ _gf_mul(b, root) for a, b in zip([*poly, 0], [0, *poly], strict=True)]
    return poly


def _rs_table(data_length: int, degree: int) -> U64:
    """Reed–Solomon as a lookup table. The remainder of data(x)·x^degree modulo the
    generator is linear over GF(256): data codeword d at position p contributes
    d · (x^(degree + data_length − 1 − p) mod g). Row 256·p + d of the result holds that
    contribution (highest power first), zero-padded to whole 64-bit words, so that the error
    correction codewords of a block are the XOR of one row per data codeword."""
    generator = _rs_generator(degree)
    tail = generator[1:]  # x^degree ≡ tail (mod g) in characteristic 2
    rows = [tail]
    for _ in range(data_length - 1):
        prev = rows[-1]
        lead = prev[0]
        shifted = [*prev[1:], 0]
        rows.append([c ^ _gf_mul(lead, t) for c, t in zip(shifted, tail, strict=True)])
    rows.reverse()  # the last data codeword meets x^degree, the first the highest power
    exp = np.array(_GF_EXP * 2, np.uint8)
    log = np.array(_GF_LOG, np.intp)
    remainders = np.array(rows, np.intp)  # data_length × degree
    table = np.zeros((data_length, 256, -(-degree // 8) * 8), np.uint8)
    # d · r = α^(log d + log r) where both are non-zero, else 0.
    products = exp[log[1:, None, None] + log[remainders][None]]
    table[:, 1:, :degree] = np.where(remainders[None] != 0, products, 0).transpose(1, 0, 2)
    return table.reshape(data_length * 256, -1).view(np.uint64)


# --- capacity ---------------------------------------------------------------------------


def _raw_data_modules(version: int) -> int:
    """Modules left for codewords and remainder bits once the function patterns are drawn."""
    size = 4 * version + 17
    result = size * size - 3 * 64 - 2 * (size - 16) - 31  # finders+separators, timing, format
    if version >= 2:
        count = version // 7 + 2
        result -= 25 * (count * count - 3) - 10 * (count - 2)  # alignment, less timing overlap
    if version >= 7:
        result -= 36
    return result


def _count_bytes(version: int) -> int:
    """Bytes of the character count indicator in byte mode (§7.4.4 Table 3: 8 or 16 bits)."""
    return 1 if version <= 9 else 2


def _check_level(ec_level: str) -> None:
    if ec_level not in _EC_FORMAT_BITS:
        raise ValueError(
            f"unknown QR error correction level {ec_level!r}: expected one of L, M, Q, H"
        )


def _data_codewords(version: int, ec_level: QrLevel) -> int:
    blocks = _EC_BLOCKS[ec_level][version - 1]
    per_block = _EC_CODEWORDS_PER_BLOCK[ec_level][version - 1]
    return _raw_data_modules(version) // 8 - blocks * per_block


def qr_capacity(version: int, ec_level: QrLevel = "M") -> int:
    """How many bytes a symbol of ``version`` holds in byte mode at ``ec_level``
    (ISO/IEC 18004:2015 Table 7)."""
    _check_level(ec_level)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise ValueError(f"QR version must be 1..40, got {version!r}")
    # 4 mode bits + the count indicator + 8 bits a byte must fit 8 bits a data codeword.
    return _data_codewords(version, ec_level) - _count_bytes(version) - 1


_CAPACITIES: Final = {
    level: tuple(qr_capacity(v, level) for v in range(MIN_VERSION, MAX_VERSION + 1))
    for level in EC_LEVELS
}


def qr_version(length: int, ec_level: QrLevel = "M") -> int:
    """The smallest version that holds ``length`` bytes at ``ec_level``."""
    _check_level(ec_level)
    capacities = _CAPACITIES[ec_level]
    if length > capacities[-1]:
        raise QrCapacityError(
            f"{length} bytes do not fit a QR code at error correction level {ec_level}: "
            f"version 40 holds at most {capacities[-1]} bytes"
        )
    return bisect_left(capacities, length) + MIN_VERSION


# --- per-version layout -----------------------------------------------------------------


def _alignment_positions(version: int) -> list[int]:
    """Row/column coordinates of alignment pattern centres (Annex E, Table E.1)."""
    if version == 1:
        return []
    count = version // 7 + 2
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    size = 4 * version + 17
    return [6, *sorted(size - 7 - i * step for i in range(count - 1))]


def _format_bits(ec_level: QrLevel, mask: int) -> int:
    """The 15 format bits: level and mask, BCH(15,5), XOR 0x5412 (§7.9.1)."""
    data = (_EC_FORMAT_BITS[ec_level] << 3) | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * _FORMAT_GENERATOR)
    return ((data << 10) | rem) ^ _FORMAT_MASK


def _version_bits(version: int) -> int:
    """The 18 version bits: version and BCH(18,6) (§7.10)."""
    rem = version
    for _ in range(12):
        rem = (rem << 1) ^ ((rem >> 11) * _VERSION_GENERATOR)
    return (version << 12) | rem


def _format_cells(size: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(row, column) of format bit i, for i = 0..14 (least significant first), in both copies
    (§7.9.1, Figure 25)."""
    first = [(i, 8) for i in range(6)] + [(7, 8), (8, 8), (8, 7)]
    first += [(8, 14 - i) for i in range(9, 15)]
    second = [(8, size - 1 - i) for i in range(8)]
    second += [(size - 15 + i, 8) for i in range(8, 15)]
    return first, second


def _mask_lanes(size: int) -> U8:
    """Bit m of cell (i, j) is set where data mask m inverts the module (§7.8.2, Table 10)."""
    i, j = np.indices((size, size))
    conditions = (
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    )
    lanes = np.zeros((size, size), np.uint8)
    for m, condition in enumerate(conditions):
        lanes |= condition.astype(np.uint8) << m
    return lanes


@dataclass(frozen=True, slots=True)
class _Layout:
    """What depends on the version only."""

    size: int
    function: Bool  # N×N: modules that are not in the encoding region
    dark: Bool  # N×N: dark function modules (format area still light)
    order: IntP  # flat indices of the encoding region, in placement order (§7.7.3)


@cache
def _layout(version: int) -> _Layout:
    size = 4 * version + 17
    function = np.zeros((size, size), np.bool_)
    dark = np.zeros((size, size), np.bool_)
    # Timing patterns (§6.3.5), drawn first so that the finders overwrite their ends.
    function[6, :] = True
    function[:, 6] = True
    dark[6, ::2] = True
    dark[::2, 6] = True
    # Finder patterns with separators (§6.3.3, §6.3.4).
    rows, cols = np.indices((size, size))
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        dist = np.maximum(np.abs(rows - top - 3), np.abs(cols - left - 3))
        area = dist <= 4
        function |= area
        dark[area] = (dist[area] != 2) & (dist[area] != 4)
    # Alignment patterns (§6.3.6), except where a finder is.
    positions = _alignment_positions(version)
    last = len(positions) - 1
    for a, row in enumerate(positions):
        for b, col in enumerate(positions):
            if (a, b) in ((0, 0), (0, last), (last, 0)):
                continue
            dist = np.maximum(np.abs(rows - row), np.abs(cols - col))
            area = dist <= 2
            function |= area
            dark[area] = dist[area] != 1
    # Format information area (§7.9.1) and the dark module at (4V + 9, 8).
    for cells in _format_cells(size):
        for r, c in cells:
            function[r, c] = True
    function[size - 8, 8] = True
    dark[size - 8, 8] = True
    # Version information (§7.10), versions 7 and up.
    if version >= 7:
        bits = _version_bits(version)
        for i in range(18):
            a, b = size - 11 + i % 3, i // 3
            function[b, a] = function[a, b] = True
            dark[b, a] = dark[a, b] = bool((bits >> i) & 1)
    # Placement order: two-module columns from the right, alternately up and down,
    # the right module first, skipping the vertical timing column (§7.7.3).
    walk: list[IntP] = []
    right = size - 1
    upward = True
    while right > 0:
        if right == 6:
            right = 5
        ys = np.arange(size - 1, -1, -1) if upward else np.arange(size)
        column = np.empty(2 * size, np.intp)
        column[0::2] = ys * size + right
        column[1::2] = ys * size + right - 1
        walk.append(column)
        right -= 2
        upward = not upward
    flat = np.concatenate(walk)
    order = flat[~function.ravel()[flat]]
    for array in (function, dark, order):
        array.flags.writeable = False
    return _Layout(size=size, function=function, dark=dark, order=order)


# --- per-(version, level) plan ----------------------------------------------------------
#
# The eight masked candidates are scored together in a "line-packed" array of shape
# (8, N + 8, K) of 64-bit words: axis 0 is the mask; axis 1 walks along the lines, with
# four light quiet-zone modules at either end; along axis 2 the lines share the K words,
# one bit each: line t is bit t mod 64 of word t // 64, where lines 0..N−1 are the rows
# and lines N..2N−1 the columns. Every penalty rule is a few bitwise operations on slices
# along axis 1, and a count is np.bitwise_count. Lines 2N..64K−1 are "phantom" lines:
# always light, scored by N1 like any all-light line (N − 2 points each, the same for
# every mask) and subtracted.


def _words(size: int) -> int:
    return -(-2 * size // 64)


def _pack_lines(symbols: Bool) -> U64:
    """(k, N, N) symbols → (k, N + 8, K) line-packed (see above)."""
    count, size = symbols.shape[0], symbols.shape[1]
    lines = np.zeros((count, size + 8, 64 * _words(size)), np.bool_)
    lines[:, 4 : size + 4, :size] = symbols.transpose(0, 2, 1)  # rows: along a row
    lines[:, 4 : size + 4, size : 2 * size] = symbols  # columns: down a column
    return np.packbits(lines, axis=-1, bitorder="little").view(np.uint64)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything an encoding at one (version, level) needs, computed once."""

    version: int
    size: int
    count_bytes: int
    data_codewords: int
    ec_codewords: int  # all blocks together
    ec_per_block: int
    pad: bytes  # 0xEC 0x11 0xEC … long enough for any payload
    block_index: IntP  # longest data length × blocks: index into the codeword buffer
    rs_offsets: IntP  # (longest data length, 1): 256·p, the row offset in rs_table
    rs_table: U64  # see _rs_table
    line_source: IntP  # (N + 8, 64K): the bit (of the unpacked buffer) of each module
    line_masks: U64  # (8, N + 8, K): mask m with the format bits of mask m, line-packed
    cell_masks: Bool  # (8, N, N): the same, as symbols


# A print run needs a handful of plans (up to ~2 MB each at version 40); the bound keeps a
# sweep over all 160 from holding them all.
@lru_cache(maxsize=16)
def _plan(version: int, ec_level: QrLevel) -> _Plan:
    layout = _layout(version)
    size = layout.size
    blocks = _EC_BLOCKS[ec_level][version - 1]
    ec_per_block = _EC_CODEWORDS_PER_BLOCK[ec_level][version - 1]
    total = len(layout.order) // 8
    data_total = total - blocks * ec_per_block
    # Table 9: the first group's blocks are one data codeword shorter than the second's.
    short_length = data_total // blocks
    long_blocks = data_total % blocks
    lengths = [short_length] * (blocks - long_blocks) + [short_length + 1] * long_blocks
    longest = lengths[-1]
    starts = [sum(lengths[:b]) for b in range(blocks)]
    # Codeword buffer: data codewords (block after block), EC codewords (block after
    # block), a 0x00 byte (left-pads short blocks for the Reed–Solomon step, supplies the
    # remainder bits and light modules) and a 0xFF byte (dark modules).
    zero_byte, one_byte = total, total + 1
    block_index = np.full((longest, blocks), zero_byte, np.intp)
    for b, (start, length) in enumerate(zip(starts, lengths, strict=True)):
        block_index[longest - length :, b] = np.arange(start, start + length)
    # Interleaving (§7.6): data codeword i of every block in turn, then EC codeword i.
    sequence = [starts[b] + i for i in range(longest) for b in range(blocks) if i < lengths[b]]
    sequence += [
        data_total + b * ec_per_block + i for i in range(ec_per_block) for b in range(blocks)
    ]
    module_bits = (np.array(sequence, np.intp)[:, None] * 8 + np.arange(8)).ravel()
    # The bit (of the unpacked buffer) of every module before masking; format area light.
    cell_bit = np.where(layout.dark.ravel(), 8 * one_byte, 8 * zero_byte)
    remainder = len(layout.order) - len(module_bits)
    cell_bit[layout.order] = np.concatenate(
        [module_bits, np.full(remainder, 8 * zero_byte, np.intp)]
    )
    grid = cell_bit.reshape(size, size)
    line_source = np.full((size + 8, 64 * _words(size)), 8 * zero_byte, np.intp)
    line_source[4 : size + 4, :size] = grid.T
    line_source[4 : size + 4, size : 2 * size] = grid
    # What mask m flips: the mask on the encoding region, and the format bits of mask m.
    lanes = _mask_lanes(size)
    cell_masks = np.zeros((8, size, size), np.bool_)
    region = ~layout.function
    for m in range(8):
        cell_masks[m] = region & (((lanes >> m) & 1) == 1)
        bits = _format_bits(ec_level, m)
        for cells in _format_cells(size):
            for i, (r, c) in enumerate(cells):
                cell_masks[m, r, c] = bool((bits >> i) & 1)
    plan = _Plan(
        version=version,
        size=size,
        count_bytes=_count_bytes(version),
        data_codewords=data_total,
        ec_codewords=blocks * ec_per_block,
        ec_per_block=ec_per_block,
        pad=bytes(_PAD_CODEWORDS) * (data_total // 2 + 1),
        block_index=block_index,
        rs_offsets=np.arange(0, 256 * longest, 256, dtype=np.intp)[:, None],
        rs_table=_rs_table(longest, ec_per_block),
        line_source=line_source,
        line_masks=_pack_lines(cell_masks),
        cell_masks=cell_masks,
    )
    for name in (
        "block_index", "rs_offsets", "rs_table", "line_source", "line_masks",
        "cell_masks",
    ):  # fmt: skip
        getattr(plan, name).flags.writeable = False
    return plan


# --- encoding ---------------------------------------------------------------------------


def _codewords(data: bytes, plan: _Plan) -> U8:
    """Data and error correction codewords, block after block, then 0x00 and 0xFF."""
    n = len(data)
    k = plan.count_bytes
    # 0100 | count | data | 0000 is byte aligned (4 + 8k + 8n + 4 bits): the bytes of
    # count | data moved up by a nibble under a leading 4. The terminator always fits, as
    # capacity is counted in whole bytes; then come the pad codewords.
    stream = ((4 << (8 * (k + n))) | int.from_bytes(n.to_bytes(k, "big") + data, "big")) << 4
    used = k + n + 1
    head = stream.to_bytes(used, "big") + plan.pad[: plan.data_codewords - used]
    tail = bytes(plan.ec_codewords) + b"\x00\xff"
    buffer = np.frombuffer(bytearray(head + tail), np.uint8)
    # Reed–Solomon for all blocks at once: XOR one table row per data codeword.
    rows = plan.rs_table[buffer[plan.block_index] + plan.rs_offsets]
    ecc = np.bitwise_xor.reduce(rows, axis=0).view(np.uint8)
    ec = plan.ec_per_block
    buffer[plan.data_codewords : -2].reshape(-1, ec)[:] = ecc[:, :ec]
    return buffer


def _unmasked_lines(data: bytes, plan: _Plan) -> Bool:
    """(N + 8, 64K) unpacked lines of the symbol before masking, format area light."""
    bits = np.unpackbits(_codewords(data, plan))
    lines: Bool = bits[plan.line_source].view(np.bool_)
    return lines


@dataclass(frozen=True, slots=True)
class _Scoring:
    """How the penalty counts of one symbol size are laid out and weighed."""

    rows: tuple[int, ...]  # where each indicator starts along axis 1 of the scratch array
    weights: npt.NDArray[np.float32]  # (rows · K, 2): penalty points; dark modules (×2)
    pair_rows: U64  # (N − 1, K): the row lines 0..N−2, those with a row below them
    dark_points: I64  # N4 and the constant points, by twice the number of dark modules


@cache
def _scoring(size: int) -> _Scoring:
    words = _words(size)
    lines = 64 * words
    # Indicators, each counted per 64-bit word: the mixed 5-windows (N1, −3 each), mixed
    # 6-windows (N1, +2), mixed 2×2 blocks (N2, −3), finder-like patterns (N3, +40), and
    # the modules along every row and column (each module twice: N4).
    lengths = (size - 4, size - 5, size - 1, size - 6, size)
    points = (-_N1, 2, -_N2, _N3, 0)
    starts = [sum(lengths[:i]) for i in range(len(lengths) + 1)]
    weights = np.zeros((starts[-1], words, 2), np.float32)
    for i, weight in enumerate(points):
        weights[starts[i] : starts[i + 1], :, 0] = weight
    weights[starts[-2] :, :, 1] = 1
    phantom_lines = lines - 2 * size
    constant = (
        _N1 * (size - 4) * lines  # every 5-window ...
        - 2 * (size - 5) * lines  # ... and 6-window counted uniform to start with
        - phantom_lines * (size - 2)  # the phantom lines' N1
        + _N2 * (size - 1) * (size - 1)  # every 2×2 block counted uniform to start with
    )
    # N4: 10 points per whole 5 % step away from 50 % dark: |20·dark − 10·total| // total.
    total = size * size
    twice_dark = np.arange(2 * total + 1)
    dark_points = constant + _N4 * (np.abs(10 * twice_dark - 10 * total) // total)
    row_bits = np.zeros(lines, np.bool_)
    row_bits[: size - 1] = True
    pair_rows = np.broadcast_to(
        np.packbits(row_bits, bitorder="little").view(np.uint64), (size - 1, words)
    ).copy()
    for array in (weights, pair_rows, dark_points):
        array.flags.writeable = False
    return _Scoring(
        rows=tuple(starts),
        weights=weights.reshape(-1, 2),
        pair_rows=pair_rows,
        dark_points=dark_points,
    )


_ONE: Final = np.uint64(1)
_TOP: Final = np.uint64(63)


def _line_penalties(lines: U64, size: int) -> I64:
    """Table 11 penalty of each candidate of a (k, N + 8, K) line-packed array (see the
    module docstring for the readings of Table 11)."""
    count = lines.shape[0]
    scoring = _scoring(size)
    r = scoring.rows
    scratch = np.empty((count, r[-1], lines.shape[2]), np.uint64)
    end = size + 4  # the symbol is at 4..N+3 along the padded lines
    # change[j]: modules j and j+1 differ; change2[j]: modules j..j+2 are not uniform.
    change = lines[:, 1:] ^ lines[:, :-1]
    change2 = change[:, :-1] | change[:, 1:]
    # N1: a run of 5 + i same-colour modules holds 1 + i uniform 5-windows and i uniform
    # 6-windows, and scores 3 + i = 3·(1 + i) − 2·i. Count the mixed windows.
    mixed5 = np.bitwise_or(
        change2[:, 4 : end - 4], change2[:, 6 : end - 2], out=scratch[:, r[0] : r[1]]
    )
    np.bitwise_or(mixed5[:, :-1], mixed5[:, 1:], out=scratch[:, r[1] : r[2]])
    # N2: 2×2 blocks of one colour. Row i + 1 is line i + 1, the next bit, so shift the
    # words as one long bit string (a carry crossing into the next position lands on a
    # line that is not a row, which pair_rows masks).
    symbol = lines[:, 4:end]
    vertical = symbol >> _ONE
    carry = symbol << _TOP
    vertical.reshape(count, -1)[:, :-1] |= carry.reshape(count, -1)[:, 1:]
    vertical ^= symbol
    mixed_block = np.bitwise_or(vertical[:, :-1], vertical[:, 1:], out=scratch[:, r[2] : r[3]])
    mixed_block |= change[:, 4 : end - 1]
    mixed_block &= scoring.pair_rows
    # N3: dark light dark dark dark light dark — modules j..j+6 with changes at j, j+1,
    # j+4, j+5 and none at j+2, j+3 — with four light modules before or after (the quiet
    # zone counts as light). Its first module is at 4..N−3 on the padded line.
    j0, j1 = 4, size - 2
    both = change[:, :-1] & change[:, 1:]
    core = np.bitwise_and(both[:, j0:j1], both[:, j0 + 4 : j1 + 4], out=scratch[:, r[3] : r[4]])
    core &= lines[:, j0:j1]
    core &= ~change2[:, j0 + 2 : j1 + 2]
    mixed4 = change2[:, :-1] | change2[:, 1:]
    dark4 = mixed4 | lines[:, :-3]  # index j: some module of j..j+3 is dark
    core &= ~(dark4[:, j0 - 4 : j1 - 4] & dark4[:, j0 + 7 : j1 + 7])
    scratch[:, r[4] :] = symbol
    # float32 is exact here: every partial sum stays below 64 · K · Σ|weight| < 2^22 (N = 177),
    # and the product is small enough that BLAS runs it on one thread.
    modules = np.bitwise_count(scratch).reshape(count, -1)
    bits = modules.astype(np.float32)  # float-ok: module counts of the mask penalty, not money
    counts = (bits @ scoring.weights).astype(np.int64)
    penalties: I64 = counts[:, 0] + scoring.dark_points[counts[:, 1]]
    return penalties


def _candidates(lines: Bool, plan: _Plan) -> U64:
    """The line-packed eight masked candidates of unpacked unmasked lines."""
    packed = np.packbits(lines, axis=-1, bitorder="little").view(np.uint64)
    candidates: U64 = packed ^ plan.line_masks
    return candidates


def qr_mask_penalties(symbols: Bool) -> I64:
    """The Table 11 penalty of each of up to eight square symbols given as a (count, N, N)
    boolean array (True = dark, no quiet zone), N ≥ 7."""
    candidates = np.asarray(symbols, np.bool_)
    shape = candidates.shape
    if len(shape) != 3 or shape[1] != shape[2] or not 1 <= shape[0] <= 8 or shape[1] < 7:
        raise ValueError(f"expected (1..8, N, N) symbols with N ≥ 7, got shape {shape}")
    return _line_penalties(_pack_lines(candidates), shape[1])


def _as_bytes(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"QR data must be bytes, got {type(data).__name__}")
    return bytes(data)


def qr_symbol(
    data: bytes, *, ec_level: QrLevel = "M", version: int | None = None, mask: int | None = None
) -> QrSymbol:
    """Encode ``data`` in byte mode: the smallest version that holds it unless ``version``
    is given, and the mask with the lowest penalty unless ``mask`` is given."""
    data = _as_bytes(data)
    _check_level(ec_level)
    length = len(data)
    if version is None:
        version = qr_version(length, ec_level)
    elif not MIN_VERSION <= version <= MAX_VERSION:
        raise ValueError(f"QR version must be 1..40, got {version!r}")
    elif length > _CAPACITIES[ec_level][version - 1]:
        raise QrCapacityError(
            f"{length} bytes do not fit a version {version} QR code at level {ec_level}: "
            f"it holds at most {_CAPACITIES[ec_level][version - 1]} bytes"
        )
    if mask is not None and not 0 <= mask <= 7:
        raise ValueError(f"QR mask must be 0..7, got {mask!r}")
    plan = _plan(version, ec_level)
    size = plan.size
    lines = _unmasked_lines(data, plan)
    penalties = _line_penalties(_candidates(lines, plan), size)
    chosen = int(np.argmin(penalties)) if mask is None else mask
    return QrSymbol(
        version=version,
        ec_level=ec_level,
        mask=chosen,
        modules=lines[4 : size + 4, size : 2 * size] ^ plan.cell_masks[chosen],
        penalties=tuple(int(p) for p in penalties),
    )


def qr_matrix(data: bytes, *, ec_level: QrLevel = "M", quiet_zone: int = 4) -> Bool:
    """The QR symbol of ``data`` in byte mode at the smallest version that holds it, with
    the mask of lowest penalty, as a 2-D boolean array (True = dark) with ``quiet_zone``
    light modules around it. Raises QrCapacityError when the data do not fit version 40."""
    data = _as_bytes(data)
    if operator.index(quiet_zone) < 0:
        raise ValueError(f"quiet zone must be 0 or more modules, got {quiet_zone!r}")
    plan = _plan(qr_version(len(data), ec_level), ec_level)
    size = plan.size
    lines = _unmasked_lines(data, plan)
    mask = int(np.argmin(_line_penalties(_candidates(lines, plan), size)))
    out = np.zeros((size + 2 * quiet_zone, size + 2 * quiet_zone), np.bool_)
    np.bitwise_xor(
        lines[4 : size + 4, size : 2 * size],
        plan.cell_masks[mask],
        out=out[quiet_zone : quiet_zone + size, quiet_zone : quiet_zone + size],
    )
    return out


__all__ = [
    "EC_LEVELS",
    "QrCapacityError",
    "QrLevel",
    "QrSymbol",
    "qr_capacity",
    "qr_mask_penalties",
    "qr_matrix",
    "qr_symbol",
    "qr_version",
]
