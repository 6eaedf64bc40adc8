"""Bytes to text for every reader: UTF-8 (with or without a BOM), UTF-16 and UTF-32 with a BOM.

A file in UTF-16 or UTF-32 *without* a byte-order mark decodes as UTF-8 full of NUL characters;
it is refused with a message saying so, rather than parsed as garbage.

Example:
    >>> decode_text("a b\\n".encode("utf-16"), "g.txt")
    'a b\\n'
"""

from __future__ import annotations

import codecs

from explorer.errors import InputFormatError

__all__ = ["decode_text"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, source: str | None) -> str:
    """Decode a text file's bytes (see the module docstring); linear in ``len(data)``.

    Raises:
        InputFormatError: bytes that are not UTF-8 (or UTF-16/32 after their BOM), or NUL
            characters (UTF-16 without a BOM, or a binary file).
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError as e:
                raise InputFormatError(f"expected {enc.upper()} text after the byte-order mark, "
                                       f"found bytes that are not {enc.upper()} at offset "
                                       f"{e.start:,}; save the file as UTF-8", path=source) from e
            break
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            raise InputFormatError(f"expected UTF-8 text, found byte 0x{data[e.start]:02x} that "
                                   "is not UTF-8 (is this a binary or compressed file?); save the "
                                   "file as UTF-8 text", path=source, line=line) from e
    nul = text.find("\x00")
    if nul >= 0:
        raise InputFormatError("expected text, found a NUL character (a UTF-16 file without a "
                               "byte-order mark, or a binary file?); save the file as UTF-8",
                               path=source, line=text.count("\n", 0, nul) + 1)
    return text
