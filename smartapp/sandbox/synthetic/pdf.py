"""A tiny, hand-made but valid PDF 1.4 document: one page of Helvetica text lines."""

HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"  # the binary comment marks the file as binary (PDF 1.4, 3.4.1)
TOP_OF_PAGE = 760
LEADING = 14


def pdf_document(lines: list[str]) -> bytes:
    """A PDF whose single page shows `lines` (non-ASCII characters become "?")."""
    text = " T* ".join(f"({_pdf_string(line)}) Tj" for line in lines)
    stream = f"BT /F1 11 Tf {LEADING} TL 72 {TOP_OF_PAGE} Td {text} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    return _assemble(objects)


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(HEADER)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    # Each cross-reference entry is exactly 20 bytes, its end-of-line included (PDF 1.4, 3.4.3).
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)


def _pdf_string(line: str) -> str:
    ascii_line = line.encode("ascii", "replace").decode("ascii")
    return ascii_line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
