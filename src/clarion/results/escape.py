"""Text from the data (facet values, feature names, labels, titles) as literal Markdown.

Every ASCII punctuation character is backslash-escaped (CommonMark allows that for each of them), so no
link, image, emphasis, code span, table-cell break, autolink, entity or raw HTML tag can start inside the
text; line breaks become spaces so the text cannot start a new block.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = frozenset(string.punctuation)


def markdown_text(value: object) -> str:
    """``value`` as Markdown that renders to exactly its characters (on one line)."""
    text = re.sub(r"[\r\n]+", " ", str(value))
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)
