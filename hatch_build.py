"""Build hook: compile the gettext catalogues (.po → .mo) into the wheel.

The .mo files are build output (not in git); without them an installed app would
fall back to the English msgids while its pages say ``lang="nl"``.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogueBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root) / "workshop" / "translations"
        out = Path(tempfile.mkdtemp(prefix="workshop-mo-"))
        for po in sorted(root.glob("*/LC_MESSAGES/*.po")):
            rel = po.relative_to(root).with_suffix(".mo")
            with po.open("rb") as fh:
                catalogue = read_po(fh, locale=rel.parts[0])
            if version == "editable":
                # an editable install imports the source tree: compile next to the .po
                target = po.with_suffix(".mo")
            else:
                target = out / rel
                build_data["force_include"][str(target)] = f"workshop/translations/{rel.as_posix()}"
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as fh:
                write_mo(fh, catalogue)
