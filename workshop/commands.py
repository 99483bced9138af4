"""Registration point for commands added by later features (export, import, privacy)."""
from .export import cli as _export_cli  # noqa: F401,E402  (workshop export …, workshop import)
from . import privacy as _privacy  # noqa: F401,E402  (workshop privacy anonymise-expired)
