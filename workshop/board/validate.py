"""Small validators for operation payloads. Every rejection names its field."""
from __future__ import annotations

import unicodedata

from ..models.workshops import LaneKind
from .errors import N_, ValidationError

MAX_INT = 2**31 - 1

# limits shared by the database columns, the forms and the protocol doc
LIMITS = {
    "title": 200,
    "statement": 500,
    "author_name": 60,
    "phase_name": 120,
    "phase_statement": 300,
    "lane_name": 120,
    "display_name": 60,
    "channels": 20,
    "plate_text": 500,
    "op_id": 64,
    "plate_heading": 60,
    "round_name": 120,
    "round_instructions": 1000,
}

# The board's shape, the same for operations and for board documents (templates, imports).
MAX_PHASES, MAX_LANES, MAX_AGENDA, MAX_PLATE = 40, 12, 40, 500
LANE_KINDS = tuple(k.value for k in LaneKind)
PLATE_SECTIONS = ("guarantee", "agreement")
MAX_ROUND_SECONDS = 24 * 3600


def _err(message: str, code: str, key: str, **params) -> ValidationError:
    return ValidationError(message, code=code, field=key, name=key, **params)


def clean_text(value: str) -> str:
    """Normalise to NFC, drop control characters (keep newlines and tabs), trim."""
    value = unicodedata.normalize("NFC", value)
    if not value.isprintable():  # printable text has no control or format characters: most text, no loop
        value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return value.strip()


def text(payload: dict, key: str, limit: int, *, required: bool = False, default=None,
         nullable: bool = False):
    if key not in payload:
        if required:
            raise _err(N_("The field “%(name)s” is required."), "missing_field", key)
        return default
    value = payload[key]
    if value is None:
        if nullable:
            return None
        if required:
            raise _err(N_("The field “%(name)s” is required."), "missing_field", key)
        return default
    if not isinstance(value, str):
        raise _err(N_("The field “%(name)s” must be text."), "wrong_type", key)
    value = clean_text(value)
    if required and not value:
        raise _err(N_("The field “%(name)s” may not be empty."), "empty", key)
    if len(value) > limit:
        raise _err(N_("The field “%(name)s” is longer than %(limit)d characters."), "too_long", key,
                   limit=limit)
    return value


def integer(payload: dict, key: str, *, required: bool = True, default=None, minimum: int = 0,
            maximum: int = MAX_INT):
    if key not in payload or payload[key] is None:
        if required:
            raise _err(N_("The field “%(name)s” is required."), "missing_field", key)
        return default
    value = payload[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(N_("The field “%(name)s” must be a whole number."), "wrong_type", key)
    if value < minimum or value > maximum:
        raise _err(N_("The field “%(name)s” is out of range."), "out_of_range", key)
    return value


def boolean(payload: dict, key: str, *, default=None):
    if key not in payload:
        return default
    value = payload[key]
    if not isinstance(value, bool):
        raise _err(N_("The field “%(name)s” must be true or false."), "wrong_type", key)
    return value


def choice(payload: dict, key: str, options, *, default=None):
    if key not in payload:
        return default
    value = payload[key]
    if not isinstance(value, str) or value not in options:
        raise _err(N_("The field “%(name)s” has an unknown value."), "wrong_type", key)
    return value


def channel_list(payload: dict, key: str, known: set[str], *, default=None):
    if key not in payload or payload[key] is None:
        return default
    value = payload[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _err(N_("The field “%(name)s” must be a list of channels."), "wrong_type", key)
    if len(value) > LIMITS["channels"]:
        raise _err(N_("Too many channels."), "too_long", key)
    unknown = [v for v in value if v not in known]
    if unknown:
        raise _err(N_("Unknown channel: %(channel)s."), "unknown_channel", key, channel=unknown[0][:40])
    return list(dict.fromkeys(value))
