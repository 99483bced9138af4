"""Registration point for commands added by later features (export, import, privacy)."""
