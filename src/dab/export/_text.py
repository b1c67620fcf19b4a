"""Character-level escapes shared by the writers (each format's quoting rules live in its module)."""

from __future__ import annotations

import re

_XML_ILLEGAL = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]
_XML_TEXT: dict[int, str] = dict.fromkeys(_XML_ILLEGAL, "\ufffd") | {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord("\r"): "&#13;",
}
_XML_ATTRIBUTE = _XML_TEXT | {ord('"'): "&quot;", ord("\n"): "&#10;", ord("\t"): "&#9;"}
_XML_PLAIN = re.compile('[^&<>"\x00-\x1f\ud800-\udfff\ufffe\uffff]*')
"""Text that needs no escape at all, in either context (most names and URNs): a fast path."""


def xml_text(value: str, *, attribute: bool = False) -> str:
    """Escape for XML 1.0 content or a double-quoted attribute, keeping every character that XML
    can carry: CR, TAB and (in attributes) LF become character references so parsers keep them;
    the control characters XML 1.0 forbids become U+FFFD.

    Example:
        >>> xml_text('a<b>&"c"\\r')
        'a&lt;b&gt;&amp;"c"&#13;'
    """
    if _XML_PLAIN.fullmatch(value):
        return value
    return value.translate(_XML_ATTRIBUTE if attribute else _XML_TEXT)


def one_line(text: str) -> str:
    """Text for a line comment: every kind of line break becomes a space.

    Example:
        >>> one_line("a\\nb\\rc\\u2028d")
        'a b c d'
    """
    return " ".join(text.splitlines())
