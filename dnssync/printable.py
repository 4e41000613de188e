"""Text from objects, zones and messages made safe to print on a terminal or in a log.

Object names, annotation values and foreign TXT data are user-controlled. Printed raw,
an ESC or CSI sequence rewrites the terminal (colours, title, cursor, clearing), a newline
forges a log line, and a bidi override (U+202E) shows text in another order than it is.
Every character Python does not call printable (C0/C1 controls, DEL, format characters
such as bidi controls and zero-width spaces, line and paragraph separators, unassigned and
private-use code points) is shown as its escape: ``\\x1b``, ``\\u202e``.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """text with every non-printable character replaced by its ``\\xNN``/``\\uNNNN`` escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
