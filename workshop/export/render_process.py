"""Render a PDF report in a process of its own: ``python -m workshop.export.render_process A3|A4 [nl|en]``.

The report dict arrives as JSON on standard input; the PDF leaves on standard
output. The web worker uses it under gevent (web/exports.py): a render is
seconds of pure-Python CPU, and in a thread of the worker it would share the
interpreter lock with every live board of that worker; in its own process (at
a lower CPU priority) it shares nothing but the machine.
"""
from __future__ import annotations

import json
import os
import sys

NICE = 10  # the live boards come first


def main(argv: list[str]) -> int:
    from .pdf import render_pdf

    size = argv[1] if len(argv) > 1 and argv[1] in ("A3", "A4") else "A3"
    lang = argv[2] if len(argv) > 2 else "nl"
    try:
        os.nice(NICE)
    except OSError:  # pragma: no cover - not allowed here: render at normal priority
        pass
    report = json.load(sys.stdin.buffer)
    sys.stdout.buffer.write(render_pdf(report, pagesize=size, lang=lang))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
