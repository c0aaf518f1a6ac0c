"""The PDF report: the HTML page laid out for print (A4) by weasyprint."""

from __future__ import annotations

import logging
from pathlib import Path


def html_to_pdf(html: str, base_dir: Path) -> bytes:
    """Lay out ``html`` with its print CSS and return the PDF bytes (all assets are inline)."""
    import weasyprint

    # weasyprint logs every CSS property it ignores (screen-only rules); they are expected here.
    logger = logging.getLogger("weasyprint")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return weasyprint.HTML(string=html, base_url=str(base_dir)).write_pdf()
    finally:
        logger.setLevel(previous)
