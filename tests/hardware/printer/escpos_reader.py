"""A small reader for the ESC/POS subset our encoder writes, used to check bytes.

It turns text-mode receipt bytes back into printed lines (with bold/tall
flags) and QR payloads, and fails on any byte sequence it does not know — so a
golden file is checked for meaning, not only for sameness.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Printed:
    lines: list[tuple[str, bool, bool]] = field(default_factory=list)  # text, bold, tall
    qr: list[str] = field(default_factory=list)
    qr_module: list[int] = field(default_factory=list)
    raster: list[tuple[int, int]] = field(default_factory=list)  # width bytes, rows
    cut: bool = False
    chinese_runs: list[bytes] = field(default_factory=list)

    @property
    def text(self) -> list[str]:
        return [t for t, _, _ in self.lines]


def read(data: bytes) -> Printed:
    out = Printed()
    i, line, chinese, bold, tall = 0, bytearray(), False, False, False
    run = bytearray()
    text_parts: list[str] = []

    def flush_run() -> None:
        if line:
            text_parts.append(bytes(line).decode("cp437"))
            line.clear()

    while i < len(data):
        b = data[i]
        two = data[i:i + 2]
        if two == b"\x1b@":
            i += 2
        elif two in (b"\x1bt", b"\x1ba", b"\x1bd"):
            i += 3
        elif two == b"\x1bE":
            bold = data[i + 2] == 1
            i += 3
        elif two == b"\x1d!":
            tall = data[i + 2] == 1
            i += 3
        elif two == b"\x1c&":
            assert not chinese, "FS & while already in Chinese mode"
            flush_run()
            chinese = True
            i += 2
        elif two == b"\x1c.":
            if chinese:
                text_parts.append(bytes(run).decode("gb18030"))
                out.chinese_runs.append(bytes(run))
                run.clear()
            chinese = False
            i += 2
        elif two == b"\x1dV":
            out.cut = True
            i += 3
        elif data[i:i + 3] == b"\x1d(k":
            n = data[i + 3] | data[i + 4] << 8
            body = data[i + 5:i + 5 + n]
            if body[:2] == b"1P":
                out.qr.append(body[3:].decode("utf-8"))
            elif body[:2] == b"1C":
                out.qr_module.append(body[2])
            i += 5 + n
        elif data[i:i + 3] == b"\x1dv0":
            xb = data[i + 4] | data[i + 5] << 8
            rows = data[i + 6] | data[i + 7] << 8
            out.raster.append((xb, rows))
            i += 8 + xb * rows
        elif b == 0x0A:
            assert not chinese, "line feed inside Chinese mode"
            flush_run()
            out.lines.append(("".join(text_parts), bold, tall))
            text_parts = []
            i += 1
        elif b < 0x20:
            raise AssertionError(f"unknown control byte {b:#04x} at {i}: {data[i:i + 8]!r}")
        else:
            (run if chinese else line).append(b)
            i += 1
    assert not chinese and not line and not run, "receipt ends mid-line"
    return out
