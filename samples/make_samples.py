#!/usr/bin/env python3
"""Write the sample mailbox of `bilan` (samples/mailbox/*.eml) and its expected outcome.

Everything here is invented: people, addresses, phone numbers (taken from the ranges
that ARCEP reserves for fiction), QPV names and codes, figures and texts. Department
names, codes and prefecture mail domains are real.

The script is deterministic: fixed dates, fixed Message-IDs, fixed MIME boundaries,
fixed timestamps inside ZIP / XLSX / DOCX containers and no randomness, so that two
runs give byte-identical files. PDFs are written by a tiny built-in writer (no extra
dependency); DOCX and XLSX use python-docx and openpyxl, then are re-zipped with
fixed timestamps.

Usage:  python samples/make_samples.py      (writes samples/mailbox/, samples/expected.json)
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import zipfile
import zlib
from email import quoprimime
from email.utils import format_datetime
from pathlib import Path

import docx
import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
MAILBOX = HERE / "mailbox"
EXPECTED = HERE / "expected.json"

CRLF = "\r\n"
ANCT = "participation-habitants@anct.gouv.fr"
ANCT_TO = f"Participation Habitants ANCT <{ANCT}>"
CET = dt.timezone(dt.timedelta(hours=1))
UTC = dt.UTC

# Messages sent by the ANCT, which the mailbox's replies, receipts and bounces refer to.
INSTRUCTION_ID = "<1634288400.4417.JavaMail.zimbra@anct.gouv.fr>"
INSTRUCTION_SUBJECT = "Instruction ANCT - bilan des démarches participatives dans les QPV"
REMINDER_ID = "<1638345600.9021.JavaMail.zimbra@anct.gouv.fr>"
REMINDER_SUBJECT = "RAPPEL - Bilan des démarches participatives dans les QPV"

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def cet(y, mo, d, h, mi, s):
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=CET)


# --------------------------------------------------------------------------------------
# Header encoding (RFC 2047 words, RFC 2231 parameters)
# --------------------------------------------------------------------------------------

_Q_SAFE = re.compile(r"[A-Za-z0-9!*+\-/]")


def _q_encode(text: str, charset: str) -> str:
    out = []
    for ch in text:
        if ch == " ":
            out.append("_")
        elif _Q_SAFE.fullmatch(ch):
            out.append(ch)
        else:
            out.extend(f"={b:02X}" for b in ch.encode(charset))
    return "".join(out)


def encoded_words(text: str, charset: str = "utf-8", enc: str = "q") -> list[str]:
    """`text` as one or more RFC 2047 encoded words of at most 75 characters."""
    words, chunk = [], ""
    prefix, suffix = f"=?{charset}?{enc}?", "?="

    def render(s):
        if enc == "b":
            return prefix + base64.b64encode(s.encode(charset)).decode("ascii") + suffix
        return prefix + _q_encode(s, charset) + suffix

    for ch in text:
        if len(render(chunk + ch)) > 75:
            words.append(render(chunk))
            chunk = ""
        chunk += ch
    if chunk:
        words.append(render(chunk))
    return words


def phrase(text: str, charset: str = "utf-8", enc: str = "q") -> list[str]:
    """Tokens of an unstructured header: ASCII words as they are, runs of non-ASCII
    words as encoded words (a run keeps its inner spaces inside the encoding)."""
    tokens = text.split(" ")
    out, run = [], []
    for tok in tokens + [None]:
        if tok is not None and not tok.isascii():
            run.append(tok)
            continue
        if run:
            out.extend(encoded_words(" ".join(run), charset, enc))
            run = []
        if tok is not None:
            out.append(tok)
    return out


def fold(name: str, tokens: list[str], width: int = 76) -> str:
    """`Name: tok tok ...` folded before a token when a line would exceed `width`."""
    lines, line = [], f"{name}:"
    for tok in tokens:
        if len(line) + 1 + len(tok) > width and line != f"{name}:":
            lines.append(line)
            line = " " + tok
        else:
            line += " " + tok
    lines.append(line)
    return CRLF.join(lines)


def text_header(name: str, value: str, charset: str = "utf-8", enc: str = "q") -> str:
    return fold(name, phrase(value, charset, enc))


def address(display: str | None, addr: str, charset: str = "utf-8") -> list[str]:
    if not display:
        return [addr]
    if not display.isascii():
        return phrase(display, charset) + [f"<{addr}>"]
    if re.search(r'[()<>@,;:\\".\[\]]', display):
        display = '"' + display.replace('"', '\\"') + '"'
    return display.split(" ") + [f"<{addr}>"]


def address_header(name: str, display: str | None, addr: str, charset: str = "utf-8") -> str:
    return fold(name, address(display, addr, charset))


_ATTR_CHARS = re.compile(r"[A-Za-z0-9!#$&+\-.^_`|~]")


def rfc2231_param(param: str, value: str) -> str:
    """`filename="x"` for ASCII names, else RFC 2231 `filename*=` (continued if long)."""
    if value.isascii():
        return f'{param}="{value}"'
    pieces = []
    for ch in value:
        pieces.append(ch if _ATTR_CHARS.fullmatch(ch) else "".join(f"%{b:02X}" for b in ch.encode("utf-8")))
    chunks, cur = [], ""
    for p in pieces:
        if len(cur) + len(p) > 48:
            chunks.append(cur)
            cur = ""
        cur += p
    chunks.append(cur)
    if len(chunks) == 1:
        return f"{param}*=utf-8''{chunks[0]}"
    parts = []
    for i, c in enumerate(chunks):
        parts.append(f"{param}*{i}*=utf-8''{c}" if i == 0 else f"{param}*{i}*={c}")
    return (";" + CRLF + " ").join(parts)


# --------------------------------------------------------------------------------------
# MIME assembly
# --------------------------------------------------------------------------------------


class Part:
    def __init__(self, headers: list[str], body: bytes):
        self.headers = headers
        self.body = body

    def render(self) -> bytes:
        head = CRLF.join(self.headers) + CRLF + CRLF
        return head.encode("ascii") + self.body


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _normalise_eol(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", CRLF)


def text_part(text: str, subtype: str = "plain", charset: str = "utf-8", cte: str = "quoted-printable") -> Part:
    text = _normalise_eol(text)
    raw = text.encode(charset)
    if cte == "quoted-printable":
        body = quoprimime.body_encode(raw.decode("latin-1"), maxlinelen=76, eol=CRLF).encode("ascii")
    elif cte == "base64":
        body = _b64(raw)
    else:  # 8bit
        body = raw
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    headers = [
        f'Content-Type: text/{subtype}; charset="{charset}"',
        f"Content-Transfer-Encoding: {cte}",
    ]
    return Part(headers, body)


def file_part(data: bytes, ctype: str, filename: str, name_in_type: bool = True) -> Part:
    headers = []
    if name_in_type:
        headers.append(f"Content-Type: {ctype};" + CRLF + " " + rfc2231_param("name", filename))
    else:
        headers.append(f"Content-Type: {ctype}")
    headers.append("Content-Transfer-Encoding: base64")
    headers.append("Content-Disposition: attachment;" + CRLF + " " + rfc2231_param("filename", filename))
    return Part(headers, _b64(data))


def rfc822_part(inner: bytes, filename: str) -> Part:
    headers = [
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: 8bit",
        "Content-Disposition: attachment;" + CRLF + " " + rfc2231_param("filename", filename),
    ]
    return Part(headers, inner)


def raw_part(ctype: str, text: str) -> Part:
    body = _normalise_eol(text).encode("utf-8")
    return Part([f"Content-Type: {ctype}"], body)


def multipart(subtype: str, boundary: str, parts: list[Part], extra_params: str = "",
              preamble: str = "This is a multi-part message in MIME format.") -> Part:
    ctype = f"Content-Type: multipart/{subtype};{extra_params}" + CRLF + f'\tboundary="{boundary}"'
    chunks = []
    if preamble:
        chunks.append((preamble + CRLF + CRLF).encode("ascii"))
    for p in parts:
        chunks.append(f"--{boundary}{CRLF}".encode("ascii"))
        chunks.append(p.render())
        if not chunks[-1].endswith(b"\r\n"):
            chunks.append(b"\r\n")
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--{CRLF}".encode("ascii"))
    return Part([ctype], b"".join(chunks))


def received(relay: str, relay_ip: str, queue_id: str, at: dt.datetime, client_ip: str,
             client_id: str, client_delay: int = 3) -> list[str]:
    """Topmost Received (the ANCT MX, receipt time) and the sender-side hop below it."""
    mx = (
        f"Received: from {relay} ({relay} [{relay_ip}])" + CRLF
        + f"\tby mx.anct.gouv.fr (Postfix) with ESMTPS id {queue_id}" + CRLF
        + f"\tfor <{ANCT}>; {format_datetime(at)} (CET)"
    )
    hop = (
        f"Received: from [{client_ip}] (unknown [{client_ip}])" + CRLF
        + f"\tby {relay} with ESMTPSA id {client_id};" + CRLF
        + f"\t{format_datetime(at - dt.timedelta(seconds=client_delay))}"
    )
    return [mx, hop]


def message(envelope: list[str], body: Part) -> bytes:
    """Top-level headers followed by the body part's own headers (Content-Type...)."""
    headers = envelope + ["MIME-Version: 1.0"] + body.headers
    return (CRLF.join(headers) + CRLF + CRLF).encode("ascii") + body.body


# --------------------------------------------------------------------------------------
# Deterministic containers (ZIP, XLSX, DOCX)
# --------------------------------------------------------------------------------------

_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def rezip(data: bytes, when: dt.datetime) -> bytes:
    """Same archive, members in the same order, with fixed timestamps and attributes
    and fixed document-property dates (docProps/core.xml)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            zi = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            dst.writestr(zi, content, compresslevel=9)
    return out.getvalue()


def make_zip(members: list[tuple[str, bytes]], when: dt.datetime) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members:
            zi = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            z.writestr(zi, content, compresslevel=9)
    return out.getvalue()


ANNEXE1_HEADER = [
    "Commune", "Code QPV", "Nom du quartier prioritaire (QPV)",
    "Conseil citoyen constitué (oui/non)", "Date de création (mm/aaaa)",
    "Nombre de membres - collège habitants", "Nombre de membres - collège acteurs locaux",
    "Conseil citoyen actif en 2021 (oui/non)", "Structure porteuse",
    "Participation aux instances de pilotage du contrat de ville (oui/non)",
    "Formation suivie par les membres (oui/non)", "Budget annuel de fonctionnement (€)",
]
ANNEXE2_HEADER = [
    "Type de démarche", "Commune", "Code QPV (le cas échéant)", "Structure porteuse",
    "Année de création", "Nombre d'habitants mobilisés en 2021", "Observations",
]
ANNEXE1_TITLE = "ANNEXE 1 – BILAN DES CONSEILS CITOYENS"
ANNEXE2_TITLE = "ANNEXE 2 – BILAN DES PRATIQUES PARTICIPATIVES HORS CONSEILS CITOYENS"


def make_xlsx(title: str, header: list[str], rows: list[list], when: dt.datetime, author: str,
              department: str | None = None, full_template: bool = False) -> bytes:
    """An annexe workbook. Default layout: title row, header row, data rows. With
    `full_template`, the ANCT template's preamble (title, subtitle, department line,
    instructions, blank row) comes before the header row, which is then row 6."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title.split(" –")[0].title()  # "Annexe 1"
    ncols = len(header)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(1, 1).font = Font(bold=True, size=12)
    if full_template:
        ws.append(["Bilan des démarches participatives dans les quartiers prioritaires de la "
                   "politique de la ville – à retourner au plus tard le 10 décembre 2021 à " + ANCT])
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
        ws.append(["Département :", department, "Date de transmission :", when.strftime("%d/%m/%Y")])
        ws.append(["Consignes : une ligne par ligne de bilan. Indiquer « NC » lorsque "
                   "l'information n'est pas connue."])
        ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=ncols)
        ws.append([])
    ws.append(header)
    header_row = ws.max_row
    for c in ws[header_row]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(row)
    for r in ws.iter_rows(min_row=header_row + 1):
        for c in r:
            if isinstance(c.value, dt.datetime):
                c.number_format = "mm/yyyy"
    for i in range(ncols):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = 20
    wb.properties.creator = author
    wb.properties.lastModifiedBy = author
    wb.properties.created = when.astimezone(UTC).replace(tzinfo=None)
    wb.properties.modified = when.astimezone(UTC).replace(tzinfo=None)
    buf = io.BytesIO()
    wb.save(buf)
    return rezip(buf.getvalue(), when)


def make_docx(blocks: list[tuple[str, str]], when: dt.datetime, author: str, title: str) -> bytes:
    """blocks: (kind, text) with kind in title, h1, p, bullet."""
    d = docx.Document()
    for kind, text in blocks:
        if kind == "title":
            d.add_heading(text, level=0)
        elif kind == "h1":
            d.add_heading(text, level=1)
        elif kind == "bullet":
            d.add_paragraph(text, style="List Bullet")
        else:
            d.add_paragraph(text)
    cp = d.core_properties
    cp.author = author
    cp.last_modified_by = author
    cp.title = title
    cp.comments = ""
    cp.created = when.astimezone(UTC).replace(tzinfo=None)
    cp.modified = when.astimezone(UTC).replace(tzinfo=None)
    cp.revision = 1
    buf = io.BytesIO()
    d.save(buf)
    return rezip(buf.getvalue(), when)


# --------------------------------------------------------------------------------------
# A tiny PDF writer (text layer, Helvetica, WinAnsiEncoding, ruled tables)
# --------------------------------------------------------------------------------------

_NARROW = set("il.,;:'!|íìïîjtf()[] ")
_WIDE = set("mwMW@%")


def _width(s: str, size: float) -> float:
    w = 0.0
    for ch in s:
        if ch in _NARROW:
            w += 0.28
        elif ch in _WIDE:
            w += 0.85
        elif ch.isupper():
            w += 0.68
        elif ch.isdigit():
            w += 0.556
        else:
            w += 0.53
    return w * size


def _wrap(text: str, size: float, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        cand = f"{line} {word}" if line else word
        if _width(cand, size) > width and line:
            lines.append(line)
            line = word
        else:
            line = cand
    if line:
        lines.append(line)
    return lines or [""]


def _pdf_str(s: str) -> str:
    raw = s.encode("cp1252")
    out = []
    for b in raw:
        if b in (0x28, 0x29, 0x5C):
            out.append("\\" + chr(b))
        elif b < 0x20 or b > 0x7E:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return "(" + "".join(out) + ")"


class PdfDoc:
    W, H, M = 595, 842, 56

    def __init__(self):
        self.pages: list[list[str]] = []
        self._new_page()

    def _new_page(self):
        self.ops: list[str] = []
        self.pages.append(self.ops)
        self.y = self.H - self.M

    def _need(self, h):
        if self.y - h < self.M:
            self._new_page()

    def text(self, x, y, s, size=10, bold=False):
        font = "F2" if bold else "F1"
        self.ops.append(f"BT /{font} {size} Tf {x:.2f} {y:.2f} Td {_pdf_str(s)} Tj ET")

    def para(self, s, size=10, bold=False, indent=0, bullet=False, space_after=4):
        width = self.W - 2 * self.M - indent - (12 if bullet else 0)
        lines = _wrap(s, size, width)
        lead = size * 1.35
        for i, line in enumerate(lines):
            self._need(lead)
            self.y -= lead
            x = self.M + indent
            if bullet:
                if i == 0:
                    self.text(x, self.y, "•", size, bold)
                x += 12
            self.text(x, self.y, line, size, bold)
        self.y -= space_after

    def heading(self, s, size=12):
        self.y -= 6
        self.para(s, size=size, bold=True, space_after=6)

    def table(self, widths: list[float], rows: list[list[str]], size=9, header=True):
        pad = 3
        lead = size * 1.3
        x0 = self.M
        for r, row in enumerate(rows):
            cells = [_wrap(str(v), size, w - 2 * pad) for v, w in zip(row, widths)]
            h = max(len(c) for c in cells) * lead + 2 * pad
            self._need(h)
            top = self.y
            x = x0
            for lines, w in zip(cells, widths):
                self.ops.append(f"{x:.2f} {top - h:.2f} {w:.2f} {h:.2f} re S")
                ty = top - pad - size
                for line in lines:
                    self.text(x + pad, ty, line, size, bold=header and r == 0)
                    ty -= lead
                x += w
            self.y = top - h
        self.y -= 8

    def render(self, title: str, author: str, when: dt.datetime) -> bytes:
        """Objects: fonts, page contents, pages, info, then the page tree and the catalog
        last (so that a truncated copy has neither)."""
        n_pages = len(self.pages)
        # numbering: 1 F1, 2 F2, then per page (content, page), then info, pages, catalog
        content_no = [3 + 2 * i for i in range(n_pages)]
        page_no = [4 + 2 * i for i in range(n_pages)]
        info_no = 3 + 2 * n_pages
        pages_no = info_no + 1
        catalog_no = info_no + 2
        objs: dict[int, bytes] = {}
        for no, name in ((1, "Helvetica"), (2, "Helvetica-Bold")):
            objs[no] = (f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} "
                        f"/Encoding /WinAnsiEncoding >>").encode("ascii")
        for i, ops in enumerate(self.pages):
            stream = zlib.compress(("0.5 w\n" + "\n".join(ops) + "\n").encode("latin-1"), 9)
            objs[content_no[i]] = (f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n"
                                   .encode("ascii") + stream + b"\nendstream")
            objs[page_no[i]] = (f"<< /Type /Page /Parent {pages_no} 0 R /MediaBox [0 0 {self.W} {self.H}] "
                                f"/Resources << /Font << /F1 1 0 R /F2 2 0 R >> >> "
                                f"/Contents {content_no[i]} 0 R >>").encode("ascii")
        stamp = when.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")
        objs[info_no] = (f"<< /Title {_pdf_str(title)} /Author {_pdf_str(author)} "
                         f"/Producer (bilan sample writer) /CreationDate ({stamp}) "
                         f"/ModDate ({stamp}) >>").encode("latin-1")
        kids = " ".join(f"{p} 0 R" for p in page_no)
        objs[pages_no] = f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode("ascii")
        objs[catalog_no] = f"<< /Type /Catalog /Pages {pages_no} 0 R >>".encode("ascii")

        out = io.BytesIO()
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = {}
        for no in sorted(objs):
            offsets[no] = out.tell()
            out.write(f"{no} 0 obj\n".encode("ascii") + objs[no] + b"\nendobj\n")
        xref = out.tell()
        total = catalog_no + 1
        out.write(f"xref\n0 {total}\n0000000000 65535 f \n".encode("ascii"))
        for no in range(1, total):
            out.write(f"{offsets[no]:010d} 00000 n \n".encode("ascii"))
        out.write(f"trailer\n<< /Size {total} /Root {catalog_no} 0 R /Info {info_no} 0 R >>\n"
                  f"startxref\n{xref}\n%%EOF\n".encode("ascii"))
        return out.getvalue()


def pdf_from_blocks(blocks: list[tuple], title: str, author: str, when: dt.datetime) -> bytes:
    """blocks: ("title", s) ("h1", s) ("p", s) ("bullet", s) ("table", widths, rows)."""
    doc = PdfDoc()
    for b in blocks:
        kind = b[0]
        if kind == "title":
            doc.para(b[1], size=14, bold=True, space_after=10)
        elif kind == "h1":
            doc.heading(b[1])
        elif kind == "bullet":
            doc.para(b[1], indent=10, bullet=True, space_after=2)
        elif kind == "table":
            doc.y -= 6
            doc.table(b[1], b[2])
        else:
            doc.para(b[1])
    return doc.render(title, author, when)


# --------------------------------------------------------------------------------------
# Contents
# --------------------------------------------------------------------------------------

# -- Hérault (34): written contribution ------------------------------------------------

HERAULT_DOCX = [
    ("title", "Bilan des démarches participatives dans les quartiers prioritaires – Département de l'Hérault"),
    ("p", "Contribution écrite de la préfecture de l'Hérault (modalité 3), établie avec les "
          "délégués du préfet et les chefs de projet politique de la ville des communes de "
          "Montpellier, Béziers, Sète et Lunel."),
    ("p", "Le département compte cinq conseils citoyens pour cinq quartiers prioritaires. Quatre "
          "sont constitués et trois se sont réunis régulièrement en 2021 malgré la crise sanitaire."),
    ("h1", "Atouts et réussites"),
    ("bullet", "Les conseils citoyens de Montpellier ont co-organisé les diagnostics en marchant du renouvellement urbain."),
    ("bullet", "Le conseil citoyen des Terrasses du Canal à Sète dispose d'un local partagé avec la maison de quartier."),
    ("bullet", "Une formation commune aux membres des conseils citoyens a été proposée par le centre de ressources régional."),
    ("h1", "Fragilités"),
    ("bullet", "Le nombre de membres actifs a fortement diminué depuis 2020 et les jeunes sont très peu représentés."),
    ("bullet", "Les documents des comités de pilotage arrivent trop tard pour être discutés avec les habitants."),
    ("bullet", "Le conseil citoyen de Lunel n'a jamais pu être constitué faute de volontaires."),
    ("h1", "Préconisations opérationnelles"),
    ("bullet", "Organiser chaque année un tirage au sort pour renouveler au moins un tiers des membres."),
    ("bullet", "Transmettre les documents des comités de pilotage du contrat de ville au moins quinze jours avant la réunion."),
    ("bullet", "Garantir un budget de fonctionnement pluriannuel d'au moins 2 000 € par conseil citoyen sur les crédits du BOP 147."),
    ("bullet", "Proposer des réunions en soirée avec une solution de garde d'enfants pour faciliter la participation des familles monoparentales."),
]

HERAULT_A1 = [
    ["Montpellier", "QN03401", "Les Tilleuls d'Argent", "oui", "03/2016", 14, 5, "oui",
     "Association Tilleuls Citoyens", "oui", "oui", 3500],
    ["Montpellier", "QN03402", "Clos des Mûriers", "oui", dt.datetime(2015, 11, 1), 9, 3, "oui",
     "Centre social des Mûriers", "non", "oui", 2000],
    ["Béziers", "QN03403", "Font-Vieille Nord", "oui", "06/2016", 11, 4, "non", "NC", "non", "non", "NC"],
    ["Sète", "QN03404", "Les Terrasses du Canal", "oui", "01/2017", 8, 2, "oui",
     "Maison de quartier du Canal", "oui", "non", "1 500 €"],
    ["Lunel", "QN03405", "Les Micocouliers", "non", None, None, None, None, None, None, None, None],
]
HERAULT_A2 = [
    ["Table de quartier", "Montpellier", "QN03402", "Collectif Mûriers Ensemble", 2018, 35, ""],
    ["Fonds de participation des habitants", "Béziers", "QN03403", "Comité FPH biterrois", 2015, 60, ""],
    ["Maison du projet", "Sète", "QN03404", "Ville de Sète", 2019, "NC", "NPNRU"],
    ["Budget participatif", "Montpellier", None, "Ville de Montpellier", 2021, 120, "quartiers prioritaires"],
]

# -- Nord (59): meeting report -----------------------------------------------------------

NORD_PDF = [
    ("title", "Compte rendu de la rencontre territoriale de la participation – Nord"),
    ("p", "Rencontre territoriale du 18 novembre 2021, salle des fêtes du quartier de l'Épeule "
          "à Roubaix, de 14 h à 17 h 30. Organisation : DDETS du Nord, avec l'appui du centre de "
          "ressources politique de la ville."),
    ("p", "La rencontre a réuni 42 participants, répartis comme suit :"),
    ("table", [260, 120], [
        ["Catégorie de participants", "Nombre"],
        ["Membres de conseils citoyens", "24"],
        ["Associations et centres sociaux", "8"],
        ["Délégués du préfet", "3"],
        ["Services de l'État", "4"],
        ["Collectivités territoriales", "3"],
        ["Total", "42"],
    ]),
    ("h1", "Atouts et réussites"),
    ("bullet", "Les conseils citoyens de la métropole lilloise se sont dotés d'une coordination qui se réunit chaque trimestre."),
    ("bullet", "Les membres saluent l'appui méthodologique apporté par les délégués du préfet."),
    ("h1", "Fragilités"),
    ("bullet", "Plusieurs conseils citoyens du bassin minier ne se réunissent plus depuis le premier confinement."),
    ("bullet", "Les habitants ne savent pas ce que deviennent leurs avis une fois transmis aux élus."),
    ("h1", "Préconisations opérationnelles"),
    ("bullet", "Associer systématiquement deux membres du conseil citoyen aux comités techniques du contrat de ville."),
    ("bullet", "Créer une lettre d'information trimestrielle commune aux conseils citoyens du département."),
    ("bullet", "Financer l'équipement numérique des conseils citoyens pour permettre des réunions hybrides."),
]

# -- Puy-de-Dôme (63): online meeting report, forwarded -------------------------------------

PDD_PDF = [
    ("title", "Rencontre en ligne de la participation – Puy-de-Dôme"),
    ("p", "Compte rendu de la rencontre en ligne organisée le 25 novembre 2021 sur la plateforme "
          "Grande Équipe (modalité 2). 27 participants : 15 membres de conseils citoyens, 6 "
          "représentants d'associations, 4 agents des collectivités et 2 délégués du préfet."),
    ("table", [150, 150, 120], [
        ["Atelier", "Animation", "Participants"],
        ["Vie des conseils citoyens", "DDETS", "12"],
        ["Renouvellement urbain", "Clermont Auvergne Métropole", "9"],
        ["Jeunesse", "Délégué du préfet", "6"],
    ]),
    ("h1", "Atouts et réussites"),
    ("bullet", "La plateforme a permis à des habitants de Thiers et d'Issoire de participer sans se déplacer."),
    ("h1", "Fragilités"),
    ("bullet", "Une partie des membres n'a pas d'ordinateur ni de connexion suffisante pour suivre une réunion en ligne."),
    ("h1", "Préconisations opérationnelles"),
    ("bullet", "Prévoir des points d'accès équipés dans les centres sociaux pour les réunions en ligne."),
    ("bullet", "Former les membres des conseils citoyens au fonctionnement du contrat de ville dès leur installation."),
]
PDD_A1 = [
    ["Clermont-Ferrand", "QN06301", "Les Pierres Blanches", "oui", "09/2015", 12, 4, "oui",
     "Association Pierres Blanches Demain", "oui", "oui", 2500],
    ["Thiers", "QN06302", "Le Moutier Haut", "oui", "02/2016", 7, 2, "oui", "Centre social du Moutier", "non", "non", 800],
    ["Issoire", "QN06303", "Les Prés Fleuris", "oui", "10/2016", 6, 1, "non", "NC", "non", "non", 0],
]

# -- Bouches-du-Rhône (13): ZIP ------------------------------------------------------------

BDR_PDF = [
    ("title", "Bilan des démarches participatives – Bouches-du-Rhône"),
    ("p", "Contribution écrite de la préfecture des Bouches-du-Rhône (modalité 3)."),
    ("h1", "Atouts et réussites"),
    ("bullet", "Les tables de quartier marseillaises mobilisent des habitants qui ne participaient à aucune instance."),
    ("bullet", "Le fonds de participation des habitants d'Arles a financé quatorze projets en 2021."),
    ("h1", "Fragilités"),
    ("bullet", "Les conseils citoyens restent dépendants des communes pour leurs locaux et leur ordre du jour."),
    ("bullet", "La coordination entre conseils citoyens et tables de quartier est inexistante dans plusieurs secteurs."),
    ("h1", "Préconisations opérationnelles"),
    ("bullet", "Confier le portage des conseils citoyens à des associations indépendantes des communes."),
    ("bullet", "Réunir au moins une fois par an les conseils citoyens, les tables de quartier et les comités FPH d'un même territoire."),
    ("bullet", "Valoriser l'engagement des membres par une attestation de compétences délivrée par l'État."),
]
BDR_A1 = [
    ["Marseille", "QN01301", "Les Oliviers Hauts", "oui", "04/2016", 16, 6, "oui",
     "Association Oliviers en Commun", "oui", "oui", "3 000 €"],
    ["Marseille", "QN01302", "Plan des Cigales", "oui", "05/2016", 10, 3, "oui", "Centre social des Cigales", "oui", "non", "2 000 €"],
    ["Arles", "QN01303", "Les Salins du Rhône", "oui", "12/2015", "NC", "NC", "NC", "NC", "NC", "NC", "NC"],
    ["Martigues", "QN01304", "La Bastide Verte", "non", None, None, None, None, None, None, None, None],
]
BDR_A2 = [
    ["Table de quartier", "Marseille", "QN01301", "Collectif des Oliviers", 2017, 45, ""],
    ["Table de quartier", "Marseille", "QN01302", "Association Cigales Solidaires", 2019, 30, ""],
    ["Fonds de participation des habitants", "Arles", "QN01303", "Comité FPH d'Arles", 2014, 80, "14 projets financés"],
    ["Autre (conseil de jeunes)", "Martigues", "QN01304", "Ville de Martigues", 2020, 18, ""],
]

# -- SGAR Pays de la Loire: Loire-Atlantique (44) and Sarthe (72) ----------------------------

LA_PDF = [
    ("title", "Contribution écrite – Loire-Atlantique"),
    ("p", "Bilan des démarches participatives dans les quartiers prioritaires (modalité 3)."),
    ("h1", "Atouts et réussites"),
    ("bullet", "Les maisons du projet de Nantes et de Saint-Nazaire accueillent chaque mois des permanences animées par des habitants."),
    ("h1", "Fragilités"),
    ("bullet", "Les femmes et les personnes âgées restent sous-représentées dans les conseils citoyens."),
    ("h1", "Préconisations opérationnelles"),
    ("bullet", "Mettre en place un accompagnement par un tiers facilitateur pour chaque conseil citoyen."),
    ("bullet", "Traduire les invitations dans les principales langues parlées dans les quartiers."),
]
SARTHE_PDF = [
    ("title", "Contribution écrite – Sarthe"),
    ("p", "Bilan des démarches participatives dans les quartiers prioritaires du Mans, de La "
          "Flèche et de Sablé-sur-Sarthe (modalité 3)."),
    ("h1", "Atouts et réussites"),
    ("bullet", "Le conseil citoyen du quartier des Sablons d'Or a obtenu un siège au comité de pilotage du contrat de ville."),
    ("h1", "Fragilités"),
    ("bullet", "Les élus répondent rarement aux avis formulés par les conseils citoyens."),
    ("h1", "Préconisations opérationnelles"),
    ("bullet", "Il conviendrait que chaque avis d'un conseil citoyen reçoive une réponse écrite de la collectivité dans un délai de deux mois."),
]

# -- Isère (38): late, with a truncated PDF ----------------------------------------------------

ISERE_PDF = [
    ("title", "Contribution de l'Isère – bilan des démarches participatives"),
    ("p", "Contribution écrite (modalité 3) établie par la sous-préfecture de Vienne pour les "
          "quartiers prioritaires de Grenoble, Échirolles et Vienne."),
    ("h1", "Préconisations opérationnelles"),
    ("bullet", "Renforcer la formation des conseillers citoyens à la lecture des budgets publics."),
    ("bullet", "Désigner un référent participation dans chaque commune signataire du contrat de ville."),
]
ISERE_A1 = [
    ["Grenoble", "QN03801", "Les Glycines", "oui", "01/2016", 13, 4, "oui", "Maison des habitants des Glycines", "oui", "oui", 3000],
    ["Échirolles", "QN03802", "Le Plateau des Cèdres", "oui", "03/2016", 8, 3, "oui", "Association Plateau Citoyen", "oui", "non", 1200],
    ["Vienne", "QN03803", "Les Balmes Hautes", "oui", "09/2017", 5, "n.c.", "non", "n.c.", "non", "non", "n.c."],
]


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------

GOUV_RELAY = "relais-messagerie.interieur.gouv.fr"


def env(frm: str, to: str, subject: str, date: str, msgid: str, extra: list[str] = (),
        return_path: str | None = None) -> list[str]:
    out = []
    if return_path is not None:
        out.append(f"Return-Path: <{return_path}>")
    out.append(f"X-Original-To: {ANCT}")
    out += [f"Date: {date}", frm, to, subject, f"Message-ID: {msgid}"]
    out += list(extra)
    return out


def m01_question():
    at = cet(2021, 11, 4, 14, 12, 9)
    body = text_part(
        "Bonjour,\n\n"
        "Nous avons bien reçu l'instruction relative au bilan des démarches participatives dans "
        "les quartiers prioritaires. L'annexe 1 jointe au courrier nous est parvenue au format PDF "
        "uniquement : pouvez-vous nous renvoyer l'annexe 1 au format Excel ? Cela faciliterait "
        "la saisie par les délégués du préfet.\n\n"
        "Par avance merci.\n\n"
        "Sandrine MAURY-DELPECH\n"
        "Bureau de la politique de la ville\n"
        "Préfecture de la Haute-Vienne\n"
        "Tél : 01 99 00 41 27\n"
    )
    headers = received(GOUV_RELAY, "192.0.2.41", "4K1aQ7Zp2mXy", at, "10.87.14.22", "5C21A0F3") + env(
        address_header("From", "MAURY-DELPECH Sandrine", "sandrine.maury-delpech@haute-vienne.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "Question : annexe 1 au format Excel"),
        format_datetime(at - dt.timedelta(seconds=5)),
        "<1636031524107.3321.JavaMail.zimbra@haute-vienne.gouv.fr>",
        extra=["X-Mailer: Zimbra 8.8.15_GA_4177 (ZimbraWebClient - FF94 (Win)/8.8.15_GA_4177)"],
        return_path="sandrine.maury-delpech@haute-vienne.gouv.fr",
    )
    return message(headers, body), dict(
        kind="question", departments=["87"], received_at=at, modality=None, attachments=[],
        sender="prefecture", note="asks for Annexe 1 as an Excel file")


def m02_survey():
    at = cet(2021, 11, 22, 19, 47, 31)
    body = text_part(
        "Bonsoir,\n"
        "voici mes réponses au questionnaire pour les membres des conseils citoyens.\n\n"
        "1. Nom et prénom : OUAZZANI Karima\n"
        "2. Téléphone : 06 39 98 12 47\n"
        "3. Adresse électronique : karima.ouazzani13@laposte.net\n"
        "4. Conseil citoyen (quartier et commune) : Les Oliviers Hauts – Marseille\n"
        "5. Depuis quand êtes-vous membre du conseil citoyen ? : depuis 2017\n"
        "6. Collège (habitants / acteurs locaux) : habitants\n"
        "7. Comment jugez-vous le fonctionnement de votre conseil citoyen ? : Correct, mais on "
        "est de moins en moins nombreux aux réunions.\n"
        "8. Avez-vous bénéficié d'une formation ? Laquelle ? : Oui, une journée sur le contrat de ville en 2018.\n"
        "9. Le conseil citoyen est-il associé au pilotage du contrat de ville ? : Oui, on est invités au comité de pilotage.\n"
        "10. Quelles difficultés rencontrez-vous ? : Les réunions sont en journée, quand on travaille.\n"
        "11. Quelles sont vos propositions pour améliorer la participation des habitants ? : "
        "Faire les réunions le soir avec une garde d'enfants, et donner un petit budget au "
        "conseil citoyen pour organiser des fêtes de quartier.\n\n"
        "Bonne soirée,\n"
        "Karima\n",
        cte="8bit",
    )
    headers = received("smtp-out.laposte.net", "198.51.100.17", "4K2bV9Tq1nRc", at, "10.33.7.198", "7E40B2C9") + env(
        address_header("From", "Karima Ouazzani", "karima.ouazzani13@laposte.net"),
        address_header("To", None, ANCT),
        text_header("Subject", "Réponse questionnaire conseil citoyen"),
        format_datetime(at - dt.timedelta(seconds=4)),
        "<a3f09c1e27d4.1637606847@laposte.net>",
        extra=["User-Agent: Open-Xchange Mailer v7.10.5-Rev24"],
        return_path="karima.ouazzani13@laposte.net",
    )
    return message(headers, body), dict(
        kind="survey_response", departments=["13"], received_at=at, modality=None, attachments=[],
        sender="conseil_citoyen_member", note="Annexe 3 answers in the body text (personal data)")


def m03_auto_reply():
    at = cet(2021, 12, 1, 9, 3, 12)
    body = text_part(
        "Bonjour,\n\n"
        "Je suis absent du bureau jusqu'au lundi 6 décembre 2021 inclus. Pour toute question "
        "relative à la politique de la ville, vous pouvez contacter le bureau au 01 99 00 59 10.\n\n"
        "Cordialement,\n"
        "Thomas Lefebvre\n"
    )
    headers = received(GOUV_RELAY, "192.0.2.59", "4K3cW2Lr8sDe", at, "10.59.3.140", "8F12C4D1", 1) + env(
        address_header("From", "LEFEBVRE Thomas", "thomas.lefebvre@nord.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "Réponse automatique : " + REMINDER_SUBJECT),
        format_datetime(at - dt.timedelta(seconds=2)),
        "<20211201080312.6b1e42d0@nord.gouv.fr>",
        extra=[f"In-Reply-To: {REMINDER_ID}", f"References: {REMINDER_ID}",
               "Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"],
        return_path="thomas.lefebvre@nord.gouv.fr",
    )
    return message(headers, body), dict(
        kind="auto_reply", departments=["59"], received_at=at, modality=None, attachments=[],
        sender="prefecture", note="out-of-office reply to the reminder")


def m04_bounce():
    at = cet(2021, 12, 1, 9, 3, 40)
    failed = "helene.garnier@sarthe.gouv.fr"
    notice = text_part(
        "This is the mail system at host mx.anct.gouv.fr.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        f"<{failed}>: host {GOUV_RELAY}[192.0.2.72] said: 550 5.1.1\n"
        f"    <{failed}>: Recipient address rejected: User unknown in virtual mailbox\n"
        "    table (in reply to RCPT TO command)\n",
        charset="us-ascii", cte="7bit",
    )
    status = raw_part(
        "message/delivery-status",
        "Reporting-MTA: dns; mx.anct.gouv.fr\n"
        "X-Postfix-Queue-ID: 4K3cX5Hb0tQw\n"
        "X-Postfix-Sender: rfc822; participation-habitants@anct.gouv.fr\n"
        "Arrival-Date: Wed, 1 Dec 2021 09:00:07 +0100 (CET)\n\n"
        f"Final-Recipient: rfc822; {failed}\n"
        f"Original-Recipient: rfc822;{failed}\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        f"Remote-MTA: dns; {GOUV_RELAY}\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected:\n"
        "    User unknown in virtual mailbox table\n",
    )
    original = Part(["Content-Type: text/rfc822-headers"], (
        "From: Participation Habitants ANCT <participation-habitants@anct.gouv.fr>\r\n"
        f"To: {failed}\r\n"
        + text_header("Subject", REMINDER_SUBJECT) + "\r\n"
        "Date: Wed, 1 Dec 2021 09:00:05 +0100\r\n"
        f"Message-ID: {REMINDER_ID}\r\n").encode("ascii"))
    report = multipart("report", "4K3cX5Hb0tQw.1638345820/mx.anct.gouv.fr", [notice, status, original],
                       extra_params=" report-type=delivery-status;", preamble="This is a MIME-encapsulated message.")
    headers = [
        "Received: by mx.anct.gouv.fr (Postfix)" + CRLF
        + f"\tid 4K3cY0Mn7uVz; {format_datetime(at)} (CET)",
        "Return-Path: <>",
        f"X-Original-To: {ANCT}",
        f"Date: {format_datetime(at)} (CET)",
        "From: MAILER-DAEMON@mx.anct.gouv.fr (Mail Delivery System)",
        f"To: {ANCT}",
        "Subject: Undelivered Mail Returned to Sender",
        "Message-ID: <20211201080340.4K3cY0Mn7uVz@mx.anct.gouv.fr>",
        "Auto-Submitted: auto-replied",
    ]
    return message(headers, report), dict(
        kind="bounce", departments=["72"], received_at=at, modality=None, attachments=[],
        sender="other", note="reminder undeliverable to a Sarthe address")


def m05_read_receipt():
    at = cet(2021, 12, 2, 8, 15, 40)
    who = "elodie.brunet@isere.gouv.fr"
    human = text_part(
        "Votre message\n\n"
        f"  À : {who}\n"
        f"  Objet : {REMINDER_SUBJECT}\n"
        "  Envoyé : mercredi 1 décembre 2021 09:00:05 (UTC+01:00) Bruxelles, Copenhague, Madrid, Paris\n\n"
        "a été lu le jeudi 2 décembre 2021 08:15:31 (UTC+01:00) Bruxelles, Copenhague, Madrid, Paris.\n",
        cte="8bit",
    )
    mdn = raw_part(
        "message/disposition-notification",
        "Reporting-UA: isere.gouv.fr; Microsoft Outlook 16.0\n"
        f"Final-Recipient: rfc822;{who}\n"
        f"Original-Message-ID: {REMINDER_ID}\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n",
    )
    report = multipart("report", "----=_NextPart_000_0A1B_01D7E74C.5F3E2D10", [human, mdn],
                       extra_params=" report-type=disposition-notification;")
    headers = received(GOUV_RELAY, "192.0.2.38", "4K4dZ6Ps3vBn", at, "10.38.90.12", "9A07E5F2") + env(
        address_header("From", "BRUNET Élodie", who),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "Lu : " + REMINDER_SUBJECT),
        format_datetime(at - dt.timedelta(seconds=9)),
        "<000a01d7e74c$5f3e2d10$1dba8730$@isere.gouv.fr>",
        return_path=who,
    )
    return message(headers, report), dict(
        kind="read_receipt", departments=["38"], received_at=at, modality=None, attachments=[],
        sender="prefecture", note="read receipt for the reminder")


def m06_nord_meeting():
    at = cet(2021, 12, 6, 15, 32, 8)
    author = "DDETS du Nord"
    pdf = pdf_from_blocks(NORD_PDF, "Compte rendu rencontre territoriale Nord", author, at - dt.timedelta(hours=3))
    fname = "CR rencontre territoriale Nord 18-11-2021.pdf"
    text = text_part(
        "Madame, Monsieur,\n\n"
        "Veuillez trouver ci-joint, au titre du bilan des démarches participatives dans les QPV, "
        "le compte rendu de la rencontre territoriale du 18 novembre 2021 (modalité 1), organisée à "
        "Roubaix, qui a réuni 42 participants.\n\n"
        "Les annexes 1 et 2 vous parviendront dans un second envoi.\n\n"
        "Bien cordialement,\n\n"
        "Le pôle politique de la ville\n"
        "Direction départementale de l'emploi, du travail et des solidarités du Nord\n"
    )
    body = multipart("mixed", "----=_Part_48211_1290354871.1638801128000",
                     [text, file_part(pdf, "application/pdf", fname)], preamble="")
    headers = received(GOUV_RELAY, "192.0.2.59", "4K5eA1Qt4wCm", at, "10.59.41.7", "B3C8D6E0") + env(
        address_header("From", "DDETS 59 - Politique de la ville", "ddets-politique-ville@nord.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "Bilan des démarches participatives - Nord - compte rendu de la rencontre territoriale"),
        format_datetime(at - dt.timedelta(seconds=6)),
        "<1638801128000.48211.JavaMail.zimbra@nord.gouv.fr>",
        extra=["X-Mailer: Zimbra 8.8.15_GA_4177 (ZimbraWebClient - GC96 (Win)/8.8.15_GA_4177)"],
        return_path="ddets-politique-ville@nord.gouv.fr",
    )
    return message(headers, body), dict(
        kind="contribution", departments=["59"], received_at=at, modality=1, sender="ddets",
        note="meeting of 18 Nov 2021, 42 participants; PDF with a table",
        attachments=[att(fname, "pdf", "compte_rendu")])


def m07_herault():
    at = cet(2021, 12, 8, 10, 14, 27)
    made = at - dt.timedelta(hours=20)
    author = "Claire Fontanel"
    d = make_docx(HERAULT_DOCX, made, author, "Contribution écrite - Hérault")
    a1 = make_xlsx(ANNEXE1_TITLE, ANNEXE1_HEADER, HERAULT_A1, made, author)
    a2 = make_xlsx(ANNEXE2_TITLE, ANNEXE2_HEADER, HERAULT_A2, made, author)
    n_doc, n_a1, n_a2 = "Contribution écrite - Hérault.docx", "Annexe 1 - Hérault.xlsx", "Annexe 2 - Hérault.xlsx"
    text = text_part(
        "Madame, Monsieur,\n\n"
        "En réponse à l'instruction du 15 octobre 2021, je vous prie de trouver ci-joint la "
        "contribution écrite (modalité 3) de la préfecture de l'Hérault au bilan des démarches "
        "participatives dans les quartiers prioritaires, ainsi que les annexes 1 et 2 complétées.\n\n"
        "Je reste à votre disposition pour tout complément.\n\n"
        "Claire FONTANEL\n"
        "Cheffe du bureau de la politique de la ville\n"
        "Préfecture de l'Hérault\n"
        "34 place des Martyrs de la Résistance – 34000 Montpellier\n"
        "Tél : 01 99 00 34 62\n"
    )
    body = multipart("mixed", "----=_Part_61873_402918376.1638954867000", [
        text,
        file_part(d, DOCX_TYPE, n_doc),
        file_part(a1, XLSX_TYPE, n_a1),
        file_part(a2, XLSX_TYPE, n_a2),
    ], preamble="")
    headers = received(GOUV_RELAY, "192.0.2.34", "4K6fB8Ru5xDl", at, "10.34.2.77", "C4D9E7F1") + env(
        address_header("From", "FONTANEL Claire", "claire.fontanel@herault.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "Contribution de l'Hérault (34) - bilan des démarches participatives"),
        format_datetime(at - dt.timedelta(seconds=7)),
        "<1638954867000.61873.JavaMail.zimbra@herault.gouv.fr>",
        extra=[f"In-Reply-To: {INSTRUCTION_ID}", f"References: {INSTRUCTION_ID}",
               "X-Mailer: Zimbra 8.8.15_GA_4177 (ZimbraWebClient - FF94 (Win)/8.8.15_GA_4177)"],
        return_path="claire.fontanel@herault.gouv.fr",
    )
    return message(headers, body), dict(
        kind="contribution", departments=["34"], received_at=at, modality=3, sender="prefecture",
        note="DOCX with headings and bullets; Annexe 1 and 2 XLSX; RFC 2231 file names",
        attachments=[att(n_doc, "docx", "contribution"), att(n_a1, "xlsx", "annexe1"), att(n_a2, "xlsx", "annexe2")])


def m08_puy_de_dome_forward():
    at = cet(2021, 12, 9, 16, 3, 44)
    inner_at = cet(2021, 12, 9, 11, 2, 17)
    author = "DDETS du Puy-de-Dôme"
    pdf = pdf_from_blocks(PDD_PDF, "CR rencontre en ligne 63", author, inner_at - dt.timedelta(hours=2))
    a1 = make_xlsx(ANNEXE1_TITLE, ANNEXE1_HEADER, PDD_A1, inner_at - dt.timedelta(hours=2), author)
    n_pdf, n_a1 = "CR rencontre en ligne 25-11-2021.pdf", "Annexe 1 - Puy-de-Dôme.xlsx"
    inner_text = text_part(
        "Bonjour Damien,\n\n"
        "Voici le compte rendu de la rencontre en ligne du 25 novembre 2021 organisée sur la "
        "plateforme Grande Équipe (modalité 2), ainsi que l'annexe 1. Peux-tu le transmettre à "
        "l'ANCT avec la contribution de la préfecture ?\n\n"
        "Merci,\n"
        "Nathalie Chabrier\n"
        "DDETS du Puy-de-Dôme – pôle cohésion sociale\n"
    )
    inner_body = multipart("mixed", "----=_Part_70214_88120467.1638957737000",
                           [inner_text, file_part(pdf, "application/pdf", n_pdf), file_part(a1, XLSX_TYPE, n_a1)],
                           preamble="")
    inner_headers = [
        address_header("From", "CHABRIER Nathalie", "nathalie.chabrier@puy-de-dome.gouv.fr"),
        address_header("To", "ROUSSEL Damien", "damien.roussel@puy-de-dome.gouv.fr"),
        text_header("Subject", "Bilan participation habitants - Puy-de-Dôme"),
        f"Date: {format_datetime(inner_at)}",
        "Message-ID: <1638957737000.70214.JavaMail.zimbra@puy-de-dome.gouv.fr>",
    ]
    inner = message(inner_headers, inner_body)
    n_eml = "Bilan participation habitants - Puy-de-Dôme.eml"
    text = text_part(
        "Bonjour,\n\n"
        "Je vous transfère ci-joint la contribution de la DDETS pour le département du "
        "Puy-de-Dôme (compte rendu de la rencontre en ligne et annexe 1).\n\n"
        "Cordialement,\n"
        "Damien Roussel\n"
        "Préfecture du Puy-de-Dôme – mission politique de la ville\n"
    )
    body = multipart("mixed", "----=_Part_70388_19302511.1638975821000", [text, rfc822_part(inner, n_eml)],
                     preamble="")
    headers = received(GOUV_RELAY, "192.0.2.63", "4K7gC3Sv6yEk", at, "10.63.18.5", "D5E0F8A2") + env(
        address_header("From", "ROUSSEL Damien", "damien.roussel@puy-de-dome.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "TR: Bilan participation habitants - Puy-de-Dôme"),
        format_datetime(at - dt.timedelta(seconds=3)),
        "<1638975821000.70388.JavaMail.zimbra@puy-de-dome.gouv.fr>",
        extra=["X-Mailer: Zimbra 8.8.15_GA_4177 (ZimbraWebClient - FF94 (Win)/8.8.15_GA_4177)"],
        return_path="damien.roussel@puy-de-dome.gouv.fr",
    )
    return message(headers, body), dict(
        kind="contribution", departments=["63"], received_at=at, modality=2, sender="prefecture",
        note="forwarded message (message/rfc822) carrying a PDF and Annexe 1",
        attachments=[att(n_eml, "eml", "other"), att(n_pdf, "pdf", "compte_rendu", inside=n_eml),
                     att(n_a1, "xlsx", "annexe1", inside=n_eml)])


def m09_haute_vienne_webmail():
    at = cet(2021, 12, 9, 22, 5, 13)
    sent = dt.datetime(2021, 12, 9, 21, 5, 2, tzinfo=UTC)
    body = text_part(
        "Madame, Monsieur,\n\n"
        "Faute d'accès à ma messagerie professionnelle ce soir, je vous adresse depuis mon adresse "
        "personnelle notre contribution écrite (modalité 3) au bilan des démarches participatives. "
        "Elle porte sur les quatre quartiers prioritaires de Limoges et sur celui de Saint-Junien.\n\n"
        "Atouts et réussites :\n"
        "- Le conseil citoyen des Coteaux Fleuris a conduit une enquête auprès de 300 habitants.\n"
        "- Les habitants ont été associés au choix des aménagements de la future place centrale.\n\n"
        "Fragilités :\n"
        "- Les conseils citoyens dépendent entièrement de l'appui des agents de la ville.\n"
        "- Les réunions ont lieu en journée, ce qui exclut les actifs.\n\n"
        "Préconisations opérationnelles :\n"
        "- Doter chaque conseil citoyen d'une association support indépendante de la commune.\n"
        "- Prévoir une indemnisation des frais de déplacement et de garde des membres.\n"
        "- Faire connaître les conseils citoyens par une campagne d'affichage dans les halls d'immeubles.\n\n"
        "Les annexes suivront demain depuis la boîte du bureau.\n\n"
        "Bien cordialement,\n\n"
        "Jean-Pierre Lavergne\n"
        "Délégué du préfet de la Haute-Vienne\n",
        charset="iso-8859-1",
    )
    headers = received("smtp.orange.fr", "203.0.113.87", "4K8hD0Tw7zFj", at, "10.255.0.12", "E6F1A9B3", 8) + env(
        address_header("From", "Jean-Pierre Lavergne", "jp.lavergne87@orange.fr"),
        address_header("To", None, ANCT),
        text_header("Subject", "Contribution Haute-Vienne : bilan des démarches participatives",
                    charset="iso-8859-1"),
        format_datetime(sent),
        "<1180425631.90712.1639083902311@wwinf1d14.orange.fr>",
        extra=["X-Mailer: Orange Messagerie"],
        return_path="jp.lavergne87@orange.fr",
    )
    return message(headers, body), dict(
        kind="contribution", departments=["87"], received_at=at, modality=3, sender="delegue_prefet",
        note="personal webmail; contribution in an ISO-8859-1 body; department only in subject and signature",
        attachments=[])


def m10_bouches_du_rhone_zip():
    at = cet(2021, 12, 10, 11, 20, 5)
    made = at - dt.timedelta(days=1)
    author = "Préfecture des Bouches-du-Rhône"
    pdf = pdf_from_blocks(BDR_PDF, "Contribution écrite 13", author, made)
    a1 = make_xlsx(ANNEXE1_TITLE, ANNEXE1_HEADER, BDR_A1, made, author, "Bouches-du-Rhône (13)", full_template=True)
    a2 = make_xlsx(ANNEXE2_TITLE, ANNEXE2_HEADER, BDR_A2, made, author, "Bouches-du-Rhône (13)", full_template=True)
    n_pdf, n_a1, n_a2 = "Contribution écrite 13.pdf", "Annexe 1 - Bouches-du-Rhône.xlsx", "Annexe 2 - Bouches-du-Rhône.xlsx"
    z = make_zip([(n_pdf, pdf), (n_a1, a1), (n_a2, a2)], made)
    n_zip = "Bilan_participation_13.zip"
    text = text_part(
        "Bonjour,\n\n"
        "Veuillez trouver dans l'archive jointe la contribution écrite des Bouches-du-Rhône "
        "(modalité 3) et les annexes 1 et 2.\n\n"
        "Cordialement,\n\n"
        "Pauline Martinez-Roux\n"
        "Direction de la citoyenneté – bureau de la politique de la ville\n"
        "Préfecture des Bouches-du-Rhône\n",
        cte="base64",
    )
    body = multipart("mixed", "_004_PR0P264MB1739F2A6B5C1D0E9A8B7C6D5PR0P264MB1739FRAP_",
                     [text, file_part(z, "application/x-zip-compressed", n_zip)], preamble="")
    headers = received(GOUV_RELAY, "192.0.2.13", "4K9iE4Ux8aGh", at, "10.13.66.201", "F7A2B0C4") + env(
        address_header("From", "MARTINEZ-ROUX Pauline", "pauline.martinez-roux@bouches-du-rhone.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        fold("Subject", encoded_words("Bilan démarches participatives QPV – Bouches-du-Rhône (13)", enc="b")),
        format_datetime(at - dt.timedelta(seconds=11)),
        "<PR0P264MB1739F2A6B5C1D0E9A8B7C6D5@PR0P264MB1739.FRAP264.PROD.OUTLOOK.COM>",
        extra=["Thread-Topic: Bilan =?utf-8?q?d=C3=A9marches?= participatives QPV",
               "Content-Language: fr-FR"],
        return_path="pauline.martinez-roux@bouches-du-rhone.gouv.fr",
    )
    return message(headers, body), dict(
        kind="contribution", departments=["13"], received_at=at, modality=3, sender="prefecture",
        note="ZIP with the PDF contribution and both annexes (full template layout, header on row 6)",
        attachments=[att(n_zip, "zip", "other"), att(n_pdf, "pdf", "contribution", inside=n_zip),
                     att(n_a1, "xlsx", "annexe1", inside=n_zip), att(n_a2, "xlsx", "annexe2", inside=n_zip)])


def m11_sgar():
    at = cet(2021, 12, 10, 23, 48, 12)
    made = at - dt.timedelta(hours=5)
    author = "SGAR Pays de la Loire"
    p44 = pdf_from_blocks(LA_PDF, "Contribution Loire-Atlantique", author, made)
    p72 = pdf_from_blocks(SARTHE_PDF, "Contribution Sarthe", author, made)
    n44, n72 = "44 - Contribution écrite Loire-Atlantique.pdf", "72 - Contribution écrite Sarthe.pdf"
    html = text_part(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>\n"
        "<body>\n"
        "<p>Madame, Monsieur,</p>\n"
        "<p>Le SGAR des Pays de la Loire vous transmet, pour le compte des préfectures de la "
        "<b>Loire-Atlantique</b> et de la <b>Sarthe</b>, les contributions écrites (modalité 3) "
        "au bilan des démarches participatives dans les quartiers prioritaires.</p>\n"
        "<p>Bien cordialement,</p>\n"
        "<p>Anne-Sophie Guérin<br>\nChargée de mission politique de la ville<br>\n"
        "Secrétariat général pour les affaires régionales des Pays de la Loire</p>\n"
        "</body></html>\n",
        subtype="html",
    )
    body = multipart("mixed", "----=_Part_91120_55631209.1639176489000",
                     [html, file_part(p44, "application/pdf", n44), file_part(p72, "application/pdf", n72)],
                     preamble="")
    headers = received(GOUV_RELAY, "192.0.2.44", "4KAjF5Vy9bHg", at, "10.44.12.90", "A8B3C1D5") + env(
        address_header("From", "SGAR Pays de la Loire", "sgar-politique-ville@loire-atlantique.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "Contributions Loire-Atlantique (44) et Sarthe (72) - bilan des démarches participatives"),
        format_datetime(at - dt.timedelta(seconds=21)),
        "<1639176489000.91120.JavaMail.zimbra@loire-atlantique.gouv.fr>",
        extra=["X-Mailer: Zimbra 8.8.15_GA_4177 (ZimbraWebClient - FF94 (Win)/8.8.15_GA_4177)"],
        return_path="sgar-politique-ville@loire-atlantique.gouv.fr",
    )
    return message(headers, body), dict(
        kind="contribution", departments=["44", "72"], received_at=at, modality=3, sender="sgar",
        note="HTML-only body; one message for two departments, 11 minutes before the deadline",
        attachments=[att(n44, "pdf", "contribution"), att(n72, "pdf", "contribution")])


def m12_isere_late():
    at = cet(2021, 12, 14, 9, 41, 55)
    made = at - dt.timedelta(days=1)
    author = "Sous-préfecture de Vienne"
    full = pdf_from_blocks(ISERE_PDF, "Contribution Isère", author, made)
    # The file was cut during the upload: keep the first 60 % (mid content stream,
    # before the page tree, the catalog, the xref table and the trailer).
    truncated = full[: int(len(full) * 0.6)]
    a1 = make_xlsx(ANNEXE1_TITLE, ANNEXE1_HEADER, ISERE_A1, made, author)
    n_pdf, n_a1 = "Contribution Isère - bilan participation.pdf", "Annexe 1 Isère.xlsx"
    text = text_part(
        "Madame, Monsieur,\n\n"
        "Avec toutes nos excuses pour ce retard, vous trouverez ci-joint la contribution écrite "
        "(modalité 3) de l'Isère au bilan des démarches participatives ainsi que l'annexe 1.\n\n"
        "Cordialement,\n\n"
        "Marc Délégrange\n"
        "Sous-préfecture de Vienne – politique de la ville\n",
        cte="base64",
    )
    body = multipart("mixed", "----=_Part_10442_77312045.1639471308000",
                     [text, file_part(truncated, "application/pdf", n_pdf), file_part(a1, XLSX_TYPE, n_a1)],
                     preamble="")
    headers = received(GOUV_RELAY, "192.0.2.38", "4KBkG6Wz0cJf", at, "10.38.5.61", "B9C4D2E6") + env(
        address_header("From", "Sous-préfecture de Vienne - Politique de la ville",
                       "sp-vienne-politique-ville@isere.gouv.fr"),
        address_header("To", "Participation Habitants ANCT", ANCT),
        text_header("Subject", "Bilan des démarches participatives - Isère - envoi tardif"),
        format_datetime(at - dt.timedelta(seconds=8)),
        "<1639471308000.10442.JavaMail.zimbra@isere.gouv.fr>",
        return_path="sp-vienne-politique-ville@isere.gouv.fr",
    )
    return message(headers, body), dict(
        kind="contribution", departments=["38"], received_at=at, modality=3, sender="sous_prefecture",
        note="received 14 Dec 2021 (late); the PDF is truncated (unreadable)",
        attachments=[att(n_pdf, "pdf", "contribution", parseable=False, error_kind="corrupt"),
                     att(n_a1, "xlsx", "annexe1")])


def att(filename, fmt, role, parseable=True, error_kind=None, inside=None):
    return dict(filename=filename, format=fmt, role=role, parseable=parseable,
                error_kind=error_kind, inside=inside)


MESSAGES = [
    ("01-question-haute-vienne", m01_question),
    ("02-survey-answer-marseille", m02_survey),
    ("03-auto-reply-nord", m03_auto_reply),
    ("04-bounce-sarthe", m04_bounce),
    ("05-read-receipt-isere", m05_read_receipt),
    ("06-nord-meeting-report", m06_nord_meeting),
    ("07-herault-contribution", m07_herault),
    ("08-puy-de-dome-forwarded", m08_puy_de_dome_forward),
    ("09-haute-vienne-webmail", m09_haute_vienne_webmail),
    ("10-bouches-du-rhone-zip", m10_bouches_du_rhone_zip),
    ("11-sgar-loire-atlantique-sarthe", m11_sgar),
    ("12-isere-late-truncated-pdf", m12_isere_late),
]


def _message_id(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    m = re.search(r"^Message-ID:\s*(<[^>]+>)", head, re.M | re.I)
    return m.group(1)


def main() -> None:
    MAILBOX.mkdir(parents=True, exist_ok=True)
    for old in MAILBOX.glob("*.eml"):
        old.unlink()
    expected = {}
    for name, build in MESSAGES:
        raw, truth = build()
        fname = f"{name}.eml"
        (MAILBOX / fname).write_bytes(raw)
        expected[fname] = {
            "message_id": _message_id(raw),
            "kind": truth["kind"],
            "departments": truth["departments"],
            "received_at": truth["received_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "modality": truth["modality"],
            "attachments": truth["attachments"],
        }
    EXPECTED.write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in MAILBOX.glob("*.eml"))
    print(f"wrote {len(expected)} messages to {MAILBOX} ({total} bytes) and {EXPECTED}")


if __name__ == "__main__":
    main()
