"""Make the report archivable and accessible: PDF/A-2b, its language and title, and (when the
layout gives its structure) a tagged PDF whose structure tree holds headings, paragraphs,
tables with header cells and lists in reading order.

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


def _add_structure(pdf: pikepdf.Pdf, document) -> None:
    """The structure tree from the layout's ``Node`` tree; the marked-content ids are in the pages."""
    pages = [page.obj for page in pdf.pages]
    parents: dict[int, dict[int, pikepdf.Object]] = {}  # page index -> MCID -> its element
    tree_root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))

    def element(node, parent) -> pikepdf.Object | None:
        elem = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + node.role), P=parent))
        kids = []
        home = next((kid[0] for kid in node.kids if isinstance(kid, tuple)), None)
        if home is not None:
            elem.Pg = pages[home]  # marked content on this page is named by its number alone
        for kid in node.kids:
            if isinstance(kid, tuple):
                index, mcid = kid
                kids.append(mcid if index == home else Dictionary(Type=Name.MCR, Pg=pages[index], MCID=mcid))
                parents.setdefault(index, {})[mcid] = elem
            else:
                child = element(kid, elem)
                if child is not None:
                    kids.append(child)
        if not kids:
            return None
        elem.K = Array(kids)
        return elem

    top = element(document, tree_root)
    tree_root.K = Array([top] if top is not None else [])
    nums = []
    for index, page in enumerate(pages):
        page.StructParents = index
        page.Tabs = Name.S
        by_mcid = parents.get(index, {})
        nums += [index, pdf.make_indirect(Array([by_mcid[m] for m in range(len(by_mcid))]))]
    tree_root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
    tree_root.ParentTreeNextKey = len(pages)
    pdf.Root.StructTreeRoot = tree_root
    pdf.Root.MarkInfo = Dictionary(Marked=True)


def make_archival(data: bytes, *, lang: str, title: str, structure=None) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        if structure is not None:
            _add_structure(pdf, structure)
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
