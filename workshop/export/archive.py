"""Make the report archivable: PDF/A-2b, with its language and title for assistive technology.

A Dutch municipality archives (and sometimes publishes) the report, so the file says which
standard it follows (XMP ``pdfaid``), carries an sRGB output intent, its language (/Lang) and
shows its title instead of the file name (DisplayDocTitle). ReportLab embeds every font it
uses (the vendored DejaVu subsets), so this is post-processing only (pikepdf, on qpdf).
"""
from __future__ import annotations

import functools
import io

import pikepdf
from pikepdf import Array, Dictionary, Name

SRGB = "sRGB IEC61966-2.1"


@functools.cache
def srgb_profile() -> bytes:
    """An sRGB ICC profile, made by Pillow's littleCMS (Pillow comes with ReportLab)."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_archival(data: bytes, *, lang: str, title: str) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        root.Lang = pikepdf.String(lang)
        root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        root.PageMode = Name.UseOutlines
        icc = pdf.make_stream(srgb_profile())
        icc.N = 3
        root.OutputIntents = Array([Dictionary(
            Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=pikepdf.String(SRGB),
            Info=pikepdf.String(SRGB), RegistryName=pikepdf.String("http://www.color.org"),
            DestOutputProfile=icc)])
        if "/Trapped" in pdf.docinfo:  # no XMP equivalent: pikepdf would warn and drop it anyway
            del pdf.docinfo["/Trapped"]
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta.load_from_docinfo(pdf.docinfo)
            meta["dc:title"] = title
            meta["dc:language"] = [lang]
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        out = io.BytesIO()
        pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()
