"""Character-level escapes shared by the writers (each format's quoting rules live in its module)."""

from __future__ import annotations

import re

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: str, *, attribute: bool = False) -> str:
    """Escape for XML 1.0 content or a double-quoted attribute, keeping every character that XML
    can carry: CR, TAB and (in attributes) LF become character references so parsers keep them;
    the control characters XML 1.0 forbids become U+FFFD.

    Example:
        >>> xml_text('a<b>&"c"\\r')
        'a&lt;b&gt;&amp;"c"&#13;'
    """
    value = _XML_ILLEGAL.sub("\ufffd", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if attribute:
        value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def one_line(text: str) -> str:
    """Text for a line comment: every kind of line break becomes a space.

    Example:
        >>> one_line("a\\nb\\rc\\u2028d")
        'a b c d'
    """
    return " ".join(text.splitlines())
