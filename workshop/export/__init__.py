"""Results leave the room: the PDF report, JSON export/import and CSV. No Flask imports here."""
