"""The messages of the hostile suite (`bench/hostile.py`), built in code.

Each family is what anyone may send to a public address: headers that are
huge, many or malformed, bodies and files that expand (ZIP, XML, pixel and
table bombs), nesting, odd encodings and payloads meant for the analysts'
tools. Every builder returns the raw bytes of one `.eml`; sizes are those
of the incidents reported in issue 17, not of a test (tests build the same
shapes at small scale with low limits).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from email.message import EmailMessage

_FROM = "Jeanne Martin <jeanne.martin@aisne.gouv.fr>"
_TO = "participation-habitants@anct.gouv.fr"
_DATE = "Mon, 02 Dec 2024 10:00:00 +0100"
_BODY = (
    "Madame, Monsieur,\n\nVeuillez trouver ci-joint la contribution du département de l'Aisne (02) "
    "au bilan des démarches participatives.\n\nCordialement,\nJeanne Martin\n"
)


def _headers(message_id: str, subject: str = "Contribution Aisne (02)", extra: str = "") -> bytes:
    return (
        f"From: {_FROM}\r\nTo: {_TO}\r\nDate: {_DATE}\r\nMessage-ID: <{message_id}@hostile.example>\r\n"
        f"Subject: {subject}\r\n{extra}MIME-Version: 1.0\r\n"
    ).encode()


def _plain(message_id: str, extra_headers: bytes = b"", body: str = _BODY) -> bytes:
    head = _headers(message_id) + extra_headers
    return head + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body.encode()


def _with_files(message_id: str, files: list[tuple[str, str, bytes]], body: str = _BODY,
                subject: str = "Contribution Aisne (02)", html: str | None = None) -> bytes:  # fmt: skip
    mail = EmailMessage()
    mail["From"] = _FROM
    mail["To"] = _TO
    mail["Date"] = _DATE
    mail["Message-ID"] = f"<{message_id}@hostile.example>"
    mail["Subject"] = subject
    if html is not None:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(body)
    for filename, mime, data in files:
        maintype, subtype = mime.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


# Headers -------------------------------------------------------------------

def plain_contribution() -> bytes:
    """The reference: a plain contribution with a small annex."""
    return _with_files("plain", [("annexe1.xlsx", _XLSX, xlsx_rows(20))])


def huge_subject(size: int = 210_000) -> Callable[[], bytes]:
    def build() -> bytes:
        words = " ".join(f"mot{i % 1000}" for i in range(size // 7))[:size]
        return _plain(f"subject-{size}", body=_BODY).replace(
            b"Subject: Contribution Aisne (02)", b"Subject: Contribution " + words.encode()
        )
    return build


def many_headers(count: int = 10_000) -> bytes:
    extra = b"".join(f"X-Filler-{i}: valeur {i}\r\n".encode() for i in range(count))
    return _plain("many-headers", extra)


def header_block_5mb() -> bytes:
    """5 MB of Received headers (5,000 of 1 KB), as a mail loop would leave."""
    hop = "from relay{0}.example ([192.0.2.1]) by mx{0}.example with ESMTP id " + "x" * 900 + "; " + _DATE
    extra = b"".join(f"Received: {hop.format(i)}\r\n".encode() for i in range(5_000))
    return _plain("header-5mb", extra)


def long_folded_header() -> bytes:
    """One To header of 20,000 addresses (about 600 KB)."""
    addresses = ",\r\n ".join(f"destinataire{i}@exemple.fr" for i in range(20_000))
    return _plain("long-to").replace(f"To: {_TO}".encode(), f"To: {addresses}".encode())


def poisoned(name: str, header: bytes) -> Callable[[], bytes]:
    def build() -> bytes:
        raw = _plain(f"poison-{name}")
        field_name = header.split(b":", 1)[0]
        lines = [line for line in raw.split(b"\r\n") if not line.startswith(field_name + b":")]
        return b"\r\n".join([header, *lines])
    return build


POISONS = {
    "lone-quote-cc": b'Cc: "Martin, Jeanne <jeanne@aisne.gouv.fr>, autre@aisne.gouv.fr',
    "nested-comments-to": b"To: " + b"(" * 2000 + b"x" + b")" * 2000 + b" <participation@anct.gouv.fr>",
    "nested-comments-ctype": b"Content-Type: text/plain; charset=utf-8 " + b"(" * 2000 + b")" * 2000,
    "domain-literal-from": b"From: Jeanne <jeanne@[192.0.2.1>",
    "unbalanced-message-id": b"Message-ID: <<unbalanced@hostile.example",
}


def nul_in_headers() -> bytes:
    return _plain("nul").replace(b"Subject: Contribution", b"Subject: Contri\x00bution") + b"\x00fin\r\n"


# Structure -----------------------------------------------------------------

def deep_mime(levels: int = 5_000) -> bytes:
    head = _headers("deep-mime")
    opening = b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode() for i in range(levels)
    )
    closing = b"".join(f"\r\n--b{i}--\r\n".encode() for i in reversed(range(levels)))
    return head + opening + b"Content-Type: text/plain\r\n\r\n" + _BODY.encode() + closing


def many_parts(count: int = 10_000) -> bytes:
    head = _headers("many-parts") + b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n'
    part = b'--p\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="n.txt"\r\n\r\nnote\r\n'
    return head + b"--p\r\nContent-Type: text/plain\r\n\r\n" + _BODY.encode() + b"\r\n" + part * count + b"--p--\r\n"


def huge_text_body(megabytes: int = 20) -> bytes:
    sentence = "Les habitants ont participé aux ateliers du quartier prioritaire. "
    return _plain("huge-body", body=sentence * (megabytes * 1_000_000 // len(sentence)))


# Bombs ---------------------------------------------------------------------

def _zeros_deflated(size: int) -> bytes:
    compressor = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    out = [compressor.compress(chunk) for _ in range(size >> 20)]
    out.append(compressor.compress(bytes(size % (1 << 20))))
    return b"".join(out) + compressor.flush()


def zip_bomb() -> bytes:
    """One member declared (and truly) 1 GB of zeros, about 1 MB compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("annexe.txt", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(1024):
                member.write(chunk)
    return _with_files("zip-bomb", [("annexes.zip", "application/zip", buffer.getvalue())])


def nested_zips(depth: int = 12) -> bytes:
    data = xlsx_rows(10)
    name = "annexe1.xlsx"
    for level in range(depth):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
        data, name = buffer.getvalue(), f"niveau{level}.zip"
    return _with_files("nested-zips", [(name, "application/zip", data)])


_BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10))
    + b']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
)


def xml_bomb() -> bytes:
    return _with_files("xml-bomb", [("annexe1.xlsx", _XLSX, xlsx_rows(1, sheet_xml=_BILLION_LAUGHS))])


def xxe_docx() -> bytes:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", _DOCX_TYPES)
        archive.writestr("_rels/.rels", _DOCX_RELS)
        archive.writestr("word/document.xml", document)
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return _with_files("xxe", [("contribution.docx", docx_type, buffer.getvalue())])


def nested_tables(depth: int) -> str:
    return "<html><body>" + "<table><tr><td>cellule" * depth + "</td></tr></table>" * depth + "</body></html>"


def html_tables_body(depth: int = 500) -> Callable[[], bytes]:
    return lambda: _with_files(f"tables-body-{depth}", [], html=nested_tables(depth))


def html_tables_attachment(depth: int = 1_000) -> bytes:
    data = nested_tables(depth).encode()
    return _with_files("tables-attachment", [("tableau.html", "text/html", data)])


def huge_html_body(megabytes: int = 8) -> bytes:
    paragraph = "<p>Les habitants ont participé aux ateliers du quartier prioritaire.</p>\n"
    return _with_files("huge-html", [], html="<html><body>" + paragraph * (megabytes * 1_000_000 // len(paragraph)))


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: The first columns of Annexe 1 as the ANCT template names them: a sheet of
#: such rows is read as annex rows, the costliest way.
_ANNEX_HEADER = ("Commune", "Code QPV", "Nom du quartier prioritaire (QPV)", "Conseil citoyen constitué (oui/non)",
                 "Nombre de membres - collège habitants")  # fmt: skip


def xlsx_rows(rows: int, columns: int = 5, sheet_xml: bytes | None = None) -> bytes:
    """A minimal XLSX written by hand (openpyxl would take a minute for
    250,000 rows): a header row of Annexe 1, then `rows` rows of a commune,
    a QPV code, a name, yes/no and a count (`columns` of them, at most 5)."""
    if sheet_xml is None:
        body = io.StringIO()
        body.write('<?xml version="1.0" encoding="UTF-8"?>\n<worksheet '
                   'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')  # fmt: skip
        letters = "ABCDE"[:columns]
        body.write('<row r="1">' + "".join(f'<c r="{letter}1" t="inlineStr"><is><t>{title}</t></is></c>'
                                           for letter, title in zip(letters, _ANNEX_HEADER)) + "</row>")  # fmt: skip
        for r in range(2, rows + 2):
            values = (f"Laon{r % 9}", f"QN0{r % 100000:05d}", f"Quartier {r % 97}", "oui" if r % 2 else "non")
            body.write(f'<row r="{r}">')
            # Cell references are optional: without them the file stays under 5 MB.
            body.write("".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in values[:columns]))
            body.write(f"<c><v>{r % 40}</v></c></row>" if columns == 5 else "</row>")
        body.write("</sheetData></worksheet>")
        sheet_xml = body.getvalue().encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _XLSX_TYPES)
        archive.writestr("_rels/.rels", _XLSX_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buffer.getvalue()


def xlsx_250k() -> bytes:
    return _with_files("xlsx-250k", [("annexe1.xlsx", _XLSX, xlsx_rows(250_000))])


def png_of(width: int, height: int) -> bytes:
    """A grey PNG of `width` x `height` pixels, all zero: a few hundred KB per gigapixel."""
    compressor = zlib.compressobj(9)
    row = bytes(width + 1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pixel_bomb_png() -> bytes:
    return _with_files("pixel-png", [("scan.png", "image/png", png_of(30_000, 30_000))])


def pixel_bomb_pdf(side: int = 25_000) -> bytes:
    """A one-page PDF whose page is one grey image of side x side pixels (625 million)."""
    return _with_files("pixel-pdf", [("contribution.pdf", "application/pdf", pdf_of_image(side))])


def pdf_of_image(side: int) -> bytes:
    """A one-page PDF showing one grey image of `side` x `side` pixels, written by hand."""
    image = _zeros_deflated(side * side)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(image)} >>\nstream\n".encode() + image
        + b"\nendstream",
        b"<< /Length 35 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


# Encodings and injection ---------------------------------------------------

def odd_encodings() -> bytes:
    head = _headers("encodings", subject="=?x-inconnu?B?Q29udHJpYnV0aW9u?= =?utf-8?Q?=C3=A9t=C3=A9?=")
    return head + (
        b'Content-Type: multipart/mixed; boundary="e"\r\n\r\n'
        b"--e\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+AOk-t+AOk- Aisne\r\n"
        b"--e\r\nContent-Type: text/plain; charset=x-nonexistent\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!pas du base64!!!\r\n"
        b"--e\r\nContent-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"=FF=FEA=00i=00s=00n=00e=00\r\n"
        b"--e\r\nContent-Type: application/pdf; name*=utf-8''%E9%E9%E9.pdf\r\n"
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n`\r\nend\r\n"
        b"--e--\r\n"
    )


def injection() -> bytes:
    subject = '=HYPERLINK("http://evil.example/x";"Contribution Aisne (02)")'
    html = (
        "<html><body><script>alert(1)</script><p>Contribution de l'Aisne (02)</p>"
        '<img src=x onerror="alert(2)"><p>=cmd|\' /C calc\'!A0</p></body></html>'
    )
    raw = _with_files("injection", [("annexe1.csv", "text/csv", b'=HYPERLINK("http://evil.example";"x");2\n')],
                      subject=subject, html=html)  # fmt: skip
    return raw.replace(_FROM.encode(), b'"<img src=x onerror=alert(3)><script>alert(4)</script>" <x@aisne.gouv.fr>')


#: Every family, by name, in the order the suite runs them.
FAMILIES: dict[str, Callable[[], bytes]] = {
    "plain": plain_contribution,
    "subject-210k": huge_subject(210_000),
    "subject-630k": huge_subject(630_000),
    "headers-10000": many_headers,
    "header-block-5mb": header_block_5mb,
    "to-20000-addresses": long_folded_header,
    **{f"poison-{name}": poisoned(name, header) for name, header in POISONS.items()},
    "nul-bytes": nul_in_headers,
    "mime-depth-5000": deep_mime,
    "parts-10000": many_parts,
    "text-body-20mb": huge_text_body,
    "html-body-8mb": huge_html_body,
    "zip-bomb-1gb": zip_bomb,
    "zip-nested-12": nested_zips,
    "xml-bomb-xlsx": xml_bomb,
    "xxe-docx": xxe_docx,
    "html-tables-250-body": html_tables_body(250),
    "html-tables-500-body": html_tables_body(500),
    "html-tables-1000-file": html_tables_attachment,
    "xlsx-250000-rows": xlsx_250k,
    "pixel-bomb-png": pixel_bomb_png,
    "pixel-bomb-pdf": pixel_bomb_pdf,
    "odd-encodings": odd_encodings,
    "injection": injection,
}


_XLSX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_XLSX_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Annexe 1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
