"""Golden ESC/POS bytes for every receipt type, at 58 and 80 mm, in both languages.

Each test also writes the receipt's PNG preview to ``test-artifacts/receipts/``
(kept by CI). When a receipt changes on purpose, regenerate the golden files
and review the PNGs and the byte diff before committing:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/hardware/printer/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hardware.printer import ReceiptPrinter
from hardware.printer.samples import SAMPLE_KINDS, sample_receipt

GOLDEN = Path(__file__).parent / "golden"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "receipts"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _first_difference(a: bytes, b: bytes) -> str:
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return (
        f"first difference at byte {i} (lengths {len(a)} vs {len(b)}):\n"
        f"  got      {a[max(0, i - 16):i + 16]!r}\n  expected {b[max(0, i - 16):i + 16]!r}"
    )


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("width", [58, 80])
@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_golden_bytes_and_preview(kind: str, width: int, language: str) -> None:
    with ReceiptPrinter(paper_width_mm=width) as printer:
        printed = printer.print_receipt(sample_receipt(kind, language, printer.paper.columns))
        assert printer.device.output == printed.data
    name = f"{kind}-{language}-{width}"
    assert printed.png is not None
    printed.save_png(ARTIFACTS / f"{name}.png")
    golden = GOLDEN / f"{name}.bin"
    if UPDATE:
        golden.write_bytes(printed.data)
    assert golden.exists(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1"
    expected = golden.read_bytes()
    assert printed.data == expected, _first_difference(printed.data, expected)


def test_every_golden_file_belongs_to_a_test() -> None:
    expected = {f"{k}-{lang}-{w}.bin" for k in SAMPLE_KINDS for lang in ("zh", "en")
                for w in (58, 80)}
    assert {p.name for p in GOLDEN.glob("*.bin")} == expected
