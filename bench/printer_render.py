"""Time receipt rendering, and write the PNG previews (docs/img uses them).

    .venv/bin/python -m bench.printer_render                 # timings only
    .venv/bin/python -m bench.printer_render --out docs/img  # + the docs previews

Rendering happens on the Pi while the cardholder waits for the receipt, so
the numbers to watch are the text-mode bytes (every receipt) and the raster
mode (printers without a Chinese font), for the longest receipt (statement).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from hardware.printer import ReceiptPrinter
from hardware.printer.samples import SAMPLE_KINDS, sample_receipt

DOCS_PREVIEWS = (("topup", "zh"), ("topup", "en"), ("statement", "zh"), ("statement", "en"),
                 *((kind, language) for kind in ("loss_cancel", "transfer", "dispute", "repayment")
                   for language in ("zh", "en")))


def _time(fn: object, runs: int) -> float:
    assert callable(fn)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the docs previews here")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--width", type=int, default=80, choices=(58, 80))
    args = parser.parse_args()

    text = ReceiptPrinter(paper_width_mm=args.width, previews=False)
    preview = ReceiptPrinter(paper_width_mm=args.width, previews=True)
    raster = ReceiptPrinter(paper_width_mm=args.width, chinese="raster", previews=False)
    print(f"median of {args.runs} runs, {args.width} mm, ms")
    print(f"{'receipt':<12}{'text bytes':>12}{'+ preview':>12}{'raster':>12}")
    for kind in SAMPLE_KINDS:
        receipt = sample_receipt(kind, "zh", text.paper.columns)
        print(
            f"{kind:<12}"
            f"{_time(lambda r=receipt: text.render(r), args.runs):>12.1f}"
            f"{_time(lambda r=receipt: preview.render(r), args.runs):>12.1f}"
            f"{_time(lambda r=receipt: raster.render(r), args.runs):>12.1f}"
        )
    if args.out:
        for kind, language in DOCS_PREVIEWS:
            rendered = preview.render(sample_receipt(kind, language, preview.paper.columns))
            path = rendered.save_png(args.out / f"receipt-{kind}-{language}.png")
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
