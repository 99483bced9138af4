"""The JavaScript's UI strings: found in static/js by Babel, the same way for the catalogue and the page.

The browser code translates with ``t('English msgid', params)`` and
``tn(singular, plural, n)`` from static/js/dom.js; a msgid that is chosen at run
time (a table of labels) is marked where it is written with ``N_('…')``.
``pybabel extract`` reads those calls through ``extract_js`` (babel.cfg maps
static/js to it), and the server sends each page the translations of exactly
the msgids ``js_msgids()`` finds in the installed static/js with the same
function, so there is no list to keep in step by hand.

``tn``'s two forms are two ordinary msgids: Dutch and English both have one
singular and one plural form, and the catalogue keeps them as separate entries.

``python -m workshop.js_i18n`` prints the msgids; ``--compare OLD_I18N_PY`` prints
the strings of an old-style JS_STRINGS list that the extraction does not see
(they need a literal ``t('…')`` or an ``N_('…')`` in static/js).
"""
from __future__ import annotations

import functools
from typing import IO, Iterable, Iterator

from babel.messages.extract import extract_javascript

KEYWORDS = ("t", "tn", "N_")


def extract_js(fileobj: IO[bytes], keywords: Iterable[str], comment_tags, options) -> Iterator[tuple]:
    """A Babel extractor: every string argument of t/tn/N_ becomes a singular message."""
    options = {**options, "parse_template_string": True}  # t() inside `${…}` too
    for lineno, funcname, messages, comments in extract_javascript(fileobj, keywords, comment_tags, options):
        strings = messages if isinstance(messages, tuple) else (messages,)
        if funcname == "tn":
            strings = strings[:2]
        elif strings:
            strings = strings[:1]
        for message in strings:
            if isinstance(message, str) and message:
                yield lineno, "t", message, comments


def msgids_in(paths: Iterable) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for path in paths:
        with open(path, "rb") as fh:
            for _lineno, _func, message, _comments in extract_js(fh, KEYWORDS, (), {}):
                found.setdefault(message)
    return tuple(found)


@functools.cache  # the installed files do not change while the process runs
def js_msgids() -> tuple[str, ...]:
    from .resources import resource_dir

    return msgids_in(sorted((resource_dir("static") / "js").rglob("*.js")))


def _old_list(path: str) -> list[str]:
    """The strings of JS_STRINGS / JS_STRINGS_EXTRA in an old workshop/i18n.py."""
    import ast

    found = []
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        targets = getattr(node, "targets", None) or ([node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(getattr(t, "id", "").startswith("JS_STRINGS") for t in targets) and node.value is not None:
            found += [e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return found


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m workshop.js_i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", metavar="OLD_I18N_PY",
                        help="print the JS_STRINGS entries of this file that static/js does not yield")
    args = parser.parse_args(argv)
    ids = js_msgids()
    if not args.compare:
        print("\n".join(ids))
        return 0
    missing = [s for s in _old_list(args.compare) if s not in ids]
    print("\n".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
