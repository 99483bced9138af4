"""The three downloads of a session as (bytes, file name), shared by the web and the CLI."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy.orm import Session

from ..models import WorkshopSession
from . import csv_export, document, pdf
from .report import build_report


def filename(ws: WorkshopSession, ext: str) -> str:
    """An ASCII file name: ``verslag-omgevingsvergunning-2026-11-12.pdf``."""
    ascii_title = unicodedata.normalize("NFKD", ws.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or f"sessie-{ws.id}"
    day = (ws.session_date or ws.created_at.date()).isoformat() if (ws.session_date or ws.created_at) else ""
    return f"verslag-{slug}{'-' + day if day else ''}.{ext}"


def pdf_bytes(db: Session, ws: WorkshopSession, *, size: str = "A3", lang: str = "nl") -> bytes:
    return pdf.render_pdf(build_report(db, ws), pagesize=size, lang=lang)


def json_bytes(db: Session, ws: WorkshopSession) -> bytes:
    return document.dumps(document.export_document(db, ws))


def csv_bytes(db: Session, ws: WorkshopSession, *, lang: str = "nl") -> bytes:
    return csv_export.cards_csv(build_report(db, ws), lang=lang)
