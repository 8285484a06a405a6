"""Small files of every format a contribution can carry, built by the tests
themselves with known content (no corpus needed).

Modern formats are written with the libraries that write them (fpdf2,
python-docx, openpyxl, odfpy, extract-msg's OLE writer); legacy ones (.doc,
.xls, .rtf) are converted from those by LibreOffice headless, as an office
suite would save them; winmail.dat is assembled from its documented layout.
"""

from __future__ import annotations

import io
import struct
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

#: Text every test document carries somewhere, to find it in the blocks.
TITLE = "Bilan des démarches participatives"
RECOMMENDATIONS = ["Former les conseillers citoyens", "Associer les habitants au comité de pilotage"]
ANNEX_HEADER = ["Commune", "Code QPV", "Habitants"]
ANNEX_ROWS = [["Laon", "QN00201", 12], ["Soissons", "QN00202", 8]]


# --- PDF -------------------------------------------------------------------

FOLLOWING_PAGES = [
    "Les ateliers de quartier ont réuni une quarantaine d'habitants.",
    "La table de quartier a présenté son bilan au comité de pilotage.",
]

def pdf_bytes(pages: int = 1, running_footer: bool = False, two_columns: str | None = None) -> bytes:
    """A text PDF: a title, a section heading, a paragraph, a bulleted list
    and a ruled table; optionally a footer on every page and a second page."""
    from fpdf import FPDF

    class Report(FPDF):
        def footer(self) -> None:
            if running_footer:
                self.set_y(-15)
                self.set_font("helvetica", size=8)
                self.cell(0, 10, f"Préfecture de l'Aisne - page {self.page_no()}", align="C")

    pdf = Report()
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.multi_cell(0, 10, TITLE)
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 13)
    pdf.multi_cell(0, 8, "Préconisations")
    pdf.ln(2)
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(0, 5, "Les participants ont formulé les préconisations suivantes, discutées en séance plénière.")
    pdf.ln(4)
    for item in RECOMMENDATIONS:
        pdf.multi_cell(0, 5, f"- {item}.")
        pdf.ln(1)
    pdf.ln(4)
    with pdf.table(col_widths=(60, 40, 30)) as table:
        for row in [ANNEX_HEADER, *ANNEX_ROWS]:
            cells = table.row()
            for value in row:
                cells.cell(str(value))
    if two_columns:
        pdf.add_page()
        pdf.set_font("helvetica", size=10)
        with pdf.text_columns(ncols=2, gutter=10, balance=True) as columns:
            columns.write(two_columns)
    for number in range(2 if not two_columns else 3, pages + 1):
        pdf.add_page()
        pdf.set_font("helvetica", size=10)
        pdf.multi_cell(0, 5, FOLLOWING_PAGES[(number - 2) % len(FOLLOWING_PAGES)])
    return bytes(pdf.output())


def text_image(lines: list[str], size: int = 28, width: int = 1400) -> Image.Image:
    """A page of text as a scanner would see it: black on white pixels."""
    font = ImageFont.load_default(size=size)
    height = 120 + len(lines) * int(size * 1.8)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = 60
    for line in lines:
        draw.text((60, y), line, fill=0, font=font)
        y += int(size * 1.8)
    return image


#: Plain ASCII: Pillow's own font (used so that no system font is needed)
#: has no accented letters.
SCANNED_LINES = [
    "Bilan des demarches participatives",
    "",
    "Le conseil citoyen du quartier des Chardons s'est reuni six fois en 2021.",
    "Nous proposons de former les conseillers citoyens au budget de la ville.",
]


def scanned_pdf_bytes(pages: int = 1) -> bytes:
    """An image-only PDF, as a copier makes: one picture per page, no text layer."""
    from fpdf import FPDF

    image = text_image(SCANNED_LINES)
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.image(image, x=10, y=10, w=190)
    return bytes(pdf.output())


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def logo_png() -> bytes:
    """A signature logo: small, a few coloured shapes and a word."""
    image = Image.new("RGB", (180, 70), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((5, 5, 60, 65), fill=(0, 0, 145))
    draw.text((70, 25), "RF", fill=(200, 0, 0))
    return png_bytes(image)


# --- Word processing -----------------------------------------------------------

def docx_bytes() -> bytes:
    """Heading, paragraph, numbered and bulleted lists (nested), a table
    with a horizontally and a vertically merged cell."""
    import docx

    document = docx.Document()
    document.add_heading(TITLE, level=1)
    document.add_paragraph("Le département a retenu la modalité 3.")
    document.add_heading("Préconisations", level=2)
    for item in RECOMMENDATIONS:
        document.add_paragraph(item, style="List Number")
    document.add_paragraph("Un point détaillé", style="List Bullet 2")
    table = document.add_table(rows=4, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Quartier"
    table.cell(0, 2).text = "Habitants"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "Laon"
    for row, (qpv, count) in enumerate([("QN00201", "12"), ("QN00203", "5"), ("QN00202", "8")], start=1):
        table.cell(row, 1).text = qpv
        table.cell(row, 2).text = count
    table.cell(3, 0).text = "Soissons"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableColumn, TableRow
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=TITLE))
    document.text.addElement(P(text="Le département a retenu la modalité 1."))
    document.text.addElement(H(outlinelevel=2, text="Préconisations"))
    outer = List()
    for item in RECOMMENDATIONS:
        entry = ListItem()
        entry.addElement(P(text=item))
        outer.addElement(entry)
    inner = List()
    nested = ListItem()
    nested.addElement(P(text="Un point détaillé"))
    inner.addElement(nested)
    entry.addElement(inner)
    document.text.addElement(outer)
    table = Table(name="Annexe")
    table.addElement(TableColumn(numbercolumnsrepeated=3))
    for values in [ANNEX_HEADER, *ANNEX_ROWS]:
        row = TableRow()
        for value in values:
            row.addElement(_ods_cell(value))
        table.addElement(row)
    document.text.addElement(table)
    return _odf_bytes(document)


def _ods_cell(value):
    from odf.table import TableCell
    from odf.text import P

    if isinstance(value, (int, float)):
        cell = TableCell(valuetype="float", value=value)
    else:
        cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def _odf_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


# --- Spreadsheets --------------------------------------------------------------

def xlsx_workbook_bytes() -> bytes:
    """An annex sheet (title row, merged title, header, rows, a hidden row, a
    formula), plus a hidden sheet of lookup values."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Annexe 1"
    sheet.append(["ANNEXE 1 – BILAN DES CONSEILS CITOYENS"])
    sheet.merge_cells("A1:C1")
    sheet.append(ANNEX_HEADER)
    for row in ANNEX_ROWS:
        sheet.append(row)
    sheet.append(["Brouillon", "QN00299", 1])
    sheet.row_dimensions[5].hidden = True
    sheet.append(["Total", None, "=SUM(C3:C4)"])
    lists = workbook.create_sheet("Listes")
    lists.append(["oui"])
    lists.append(["non"])
    lists.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods_bytes() -> bytes:
    """A sheet with a merged title, typed cells (number, date, boolean), a
    hidden row, a covered cell, and a hidden sheet."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    hidden_style = Style(name="hiddensheet", family="table")
    hidden_style.addElement(TableProperties(display=False))
    document.automaticstyles.addElement(hidden_style)
    sheet = Table(name="Annexe 2")
    title = TableRow()
    cell = TableCell(valuetype="string", numbercolumnsspanned=3)
    cell.addElement(P(text="ANNEXE 2"))
    title.addElement(cell)
    title.addElement(CoveredTableCell(numbercolumnsrepeated=2))
    sheet.addElement(title)
    for values in [ANNEX_HEADER, *ANNEX_ROWS]:
        row = TableRow()
        for value in values:
            row.addElement(_ods_cell(value))
        sheet.addElement(row)
    hidden = TableRow(visibility="collapse")
    for value in ["Brouillon", "QN00299", 1]:
        hidden.addElement(_ods_cell(value))
    sheet.addElement(hidden)
    dated = TableRow()
    created = TableCell(valuetype="date", datevalue="2016-03-01")
    created.addElement(P(text="01/03/2016"))
    dated.addElement(created)
    active = TableCell(valuetype="boolean", booleanvalue="true")
    active.addElement(P(text="VRAI"))
    dated.addElement(active)
    sheet.addElement(dated)
    # How LibreOffice says "and a million empty rows below".
    sheet.addElement(TableRow(numberrowsrepeated=1048000))
    document.spreadsheet.addElement(sheet)
    lists = Table(name="Listes", stylename=hidden_style)
    row = TableRow()
    row.addElement(_ods_cell("oui"))
    lists.addElement(row)
    document.spreadsheet.addElement(lists)
    return _odf_bytes(document)


def csv_bytes() -> bytes:
    lines = [";".join(ANNEX_HEADER)] + [";".join(str(v) for v in row) for row in ANNEX_ROWS]
    return ("\n".join(lines) + "\n").encode("cp1252")


# --- LibreOffice conversions -----------------------------------------------------

def convert(data: bytes, source_suffix: str, target: str, folder: Path) -> bytes:
    """Save a file in another format with LibreOffice headless, as a user
    would with "Save as" (legacy formats, recalculated formulas)."""
    with tempfile.TemporaryDirectory(dir=folder) as work:
        source = Path(work) / f"document{source_suffix}"
        source.write_bytes(data)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(Path(work) / "out"), str(source)],
            check=True, capture_output=True, timeout=120,
        )
        produced = list((Path(work) / "out").iterdir())
        assert len(produced) == 1, produced
        return produced[0].read_bytes()


# --- Mail containers -------------------------------------------------------------

def msg_bytes(subject: str, body: str, attachments: list[tuple[str, bytes]]) -> bytes:
    """An Outlook .msg, written with extract-msg's own OLE writer and the
    property layout of [MS-OXMSG]."""
    from extract_msg.ole_writer import OleWriter

    def utf16(text: str) -> bytes:
        return text.encode("utf-16-le")

    def properties(entries: list[tuple[int, bytes | int]], header: bytes) -> bytes:
        out = header
        for tag, value in entries:
            if isinstance(value, int):
                out += struct.pack("<IIq", tag, 6, value)
            else:
                out += struct.pack("<IIII", tag, 6, len(value), 0)
        return out

    writer = OleWriter()
    top = {0x0037001F: utf16(subject), 0x1000001F: utf16(body), 0x001A001F: utf16("IPM.Note")}
    for tag, value in top.items():
        writer.addEntry(f"__substg1.0_{tag:08X}", value)
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    count = len(attachments)
    header = b"\0" * 8 + struct.pack("<IIII", 0, count, 0, count) + b"\0" * 8
    writer.addEntry("__properties_version1.0", properties(list(top.items()), header))
    for number, (name, data) in enumerate(attachments):
        storage = f"__attach_version1.0_#{number:08X}"
        writer.addEntry(storage, storage=True)
        writer.addEntry(f"{storage}/__substg1.0_3707001F", utf16(name))
        writer.addEntry(f"{storage}/__substg1.0_37010102", data)
        entries = [(0x37050003, 1), (0x0E210003, number), (0x3707001F, utf16(name)), (0x37010102, data)]
        writer.addEntry(f"{storage}/__properties_version1.0", properties(entries, b"\0" * 8))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def tnef_bytes(body: str, attachments: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat: TNEF attributes as [MS-OXTNEF] lays them out."""
    def attribute(level: int, identifier: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, identifier, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    out = struct.pack("<IH", 0x223E9F78, 1)
    out += attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(1, 0x00069007, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += attribute(1, 0x00078008, b"IPM.Microsoft Mail.Note\0")  # attMessageClass
    out += attribute(1, 0x0002800C, body.encode("cp1252"))  # attBody
    for name, data in attachments:
        out += attribute(2, 0x00069002, b"\x01\x00" + b"\xff" * 4 + b"\0" * 8)  # attAttachRendData
        out += attribute(2, 0x00018010, name.encode("cp1252") + b"\0")  # attAttachTitle
        out += attribute(2, 0x0006800F, data)  # attAttachData
    return out


# --- A compte rendu whose recommendations are a table ---------------------------

#: `# | Axe | Recommandation | Pilote pressenti`: the author's "Axe" says the
#: theme of each row; a long recommendation wraps inside its cell. Plain
#: ASCII, so that the scan can use Pillow's own font.
RECOMMENDATION_TABLE = [
    ["#", "Axe", "Recommandation", "Pilote pressenti"],
    ["1", "Formation", "Organiser chaque annee une formation des conseillers citoyens a la conduite de projet.",
     "Centre de ressources"],
    ["2", "Moyens", "Doubler le budget de fonctionnement des conseils citoyens des quartiers.", "Etat"],
    ["3", "Numerique", "Ouvrir une plateforme en ligne pour suivre les avis des habitants.", "Ville"],
]
RECOMMENDATION_TABLE_THEMES = ["formation", "moyens", "numerique"]


def recommendation_table_pdf_bytes() -> bytes:
    """A text PDF: a "Recommandations" heading and the table under it."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 9, "Compte rendu de la rencontre territoriale")
    pdf.ln(3)
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(0, 5, "La rencontre a reuni une cinquantaine de participants le 25 novembre.")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 13)
    pdf.multi_cell(0, 8, "Recommandations")
    pdf.ln(2)
    pdf.set_font("helvetica", size=10)
    with pdf.table(col_widths=(10, 30, 100, 40)) as table:
        for row in RECOMMENDATION_TABLE:
            cells = table.row()
            for value in row:
                cells.cell(value)
    return bytes(pdf.output())


def table_image(
    rows: list[list[str]], widths: list[int], size: int = 26, before: list[str] = (), rules: bool = True
) -> Image.Image:
    """A page holding a table as a scanner sees it: text lines, then the
    table, each cell's text wrapped to its column, rules around every cell
    (or none: then only the space between them sets the cells apart)."""
    font = ImageFont.load_default(size=size)
    line_height = int(size * 1.5)
    image = Image.new("L", (sum(widths) + 160, 300 + len(before) * int(size * 1.8) + len(rows) * 6 * line_height), 255)
    draw = ImageDraw.Draw(image)
    y = 60
    for line in before:
        draw.text((60, y), line, fill=0, font=font)
        y += int(size * 1.8)
    y += size
    left, right = 60, 60 + sum(widths)
    ink = 0 if rules else 255
    draw.line((left, y, right, y), fill=ink, width=2)
    for row in rows:
        wrapped = [_wrap(draw, cell, font, width - 24) for cell, width in zip(row, widths)]
        height = max(len(lines) for lines in wrapped) * line_height + 20
        x = left
        for lines, width in zip(wrapped, widths):
            for n, line in enumerate(lines):
                draw.text((x + 12, y + 10 + n * line_height), line, fill=0, font=font)
            x += width
        y += height
        draw.line((left, y, right, y), fill=ink, width=2)
    top = 60 + len(before) * int(size * 1.8) + size
    x = left
    for width in [0, *widths]:
        x += width
        draw.line((x, top, x, y), fill=ink, width=2)
    return image.crop((0, 0, image.width, y + 60))


def two_column_image(left: str, right: str, size: int = 26) -> Image.Image:
    """A page set in two columns of running text, as a newsletter is."""
    font = ImageFont.load_default(size=size)
    image = Image.new("L", (1500, 1400), 255)
    draw = ImageDraw.Draw(image)
    for x, text in ((60, left), (780, right)):
        for n, line in enumerate(_wrap(draw, text, font, 640)):
            draw.text((x, 60 + n * int(size * 1.5)), line, fill=0, font=font)
    return image


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def scanned_recommendation_table_pdf_bytes() -> bytes:
    """An image-only PDF of the same compte rendu: the table is only pixels."""
    from fpdf import FPDF

    image = table_image(
        RECOMMENDATION_TABLE, [70, 220, 760, 300],
        before=["Compte rendu de la rencontre territoriale", "", "Recommandations"],
    )
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=190)
    return bytes(pdf.output())


def tnef_rtf_bytes(rtf: bytes) -> bytes:
    """A winmail.dat whose body is held only as compressed RTF (PR_RTF_COMPRESSED
    among the message's MAPI properties), as Outlook sends "rich text" mail."""
    from compressed_rtf import compress

    def attribute(level: int, identifier: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, identifier, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    packed = compress(rtf)
    prop = struct.pack("<HHII", 0x0102, 0x1009, 1, len(packed)) + packed + b"\0" * (-len(packed) % 4)
    out = struct.pack("<IH", 0x223E9F78, 1)
    out += attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attribute(1, 0x00069007, struct.pack("<II", 1252, 0))  # attOemCodepage
    out += attribute(1, 0x00078008, b"IPM.Microsoft Mail.Note\0")  # attMessageClass
    out += attribute(1, 0x00069003, struct.pack("<I", 1) + prop)  # attMsgProps
    return out


# --- Other people's formats ---------------------------------------------------------

def pptx_bytes(title: str, items: list[str]) -> bytes:
    """A two-slide deck: a title slide, then a title and bullets."""
    from pptx import Presentation

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = title
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Préconisations"
    frame = second.placeholders[1].text_frame
    frame.text = items[0]
    for item in items[1:]:
        frame.add_paragraph().text = item
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def spreadsheetml_bytes(rows: list[list[object]], sheet: str = "Annexe 1") -> bytes:
    """An Excel 2003 XML workbook (SpreadsheetML), as old exports save `.xls`."""
    from xml.sax.saxutils import escape

    def cell(value: object) -> str:
        kind = "Number" if isinstance(value, (int, float)) else "String"
        return f'<Cell><Data ss:Type="{kind}">{escape(str(value))}</Data></Cell>'

    body = "".join("<Row>" + "".join(cell(v) for v in row) + "</Row>" for row in rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        f'<Worksheet ss:Name="{escape(sheet)}"><Table>{body}</Table></Worksheet></Workbook>'
    ).encode()


def biff4_xls_bytes(rows: list[list[object]]) -> bytes:
    """An Excel 4.0 worksheet: a bare BIFF4 record stream (no OLE2 wrapper)."""
    def record(kind: int, data: bytes) -> bytes:
        return struct.pack("<HH", kind, len(data)) + data

    out = record(0x0409, struct.pack("<HHH", 0, 0x0010, 0))  # BOF, worksheet
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                text = value.encode("cp1252")
                out += record(0x0204, struct.pack("<HHHH", r, c, 0, len(text)) + text)  # LABEL
            else:
                out += record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))  # NUMBER
    return out + record(0x000A, b"")  # EOF


def nested_table_docx_bytes(outer: str, inner: list[str]) -> bytes:
    """A Word table whose cell holds another table (a layout common in forms)."""
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = outer
    nested = table.cell(0, 1).add_table(rows=len(inner), cols=1)
    for row, text in zip(nested.rows, inner):
        row.cells[0].text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def text_box_docx_bytes(paragraph: str, box: str) -> bytes:
    """A paragraph with a text box anchored in it, written as Word writes
    one: a drawing shape holding the box, and a VML copy as its fallback."""
    from xml.sax.saxutils import escape

    import docx
    from docx.oxml import parse_xml

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    content = f'<w:txbxContent><w:p><w:r><w:t>{escape(box)}</w:t></w:r></w:p></w:txbxContent>'
    run = parse_xml(
        f'<w:r xmlns:w="{w}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
        ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
        ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
        ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
        ' xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>'
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx>{content}</wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    document = docx.Document()
    document.add_paragraph(paragraph)._p.append(run)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def ragged_table_docx_bytes() -> bytes:
    """A table whose middle row holds fewer cells than the grid, under a cell
    merged down the rows (python-docx cannot lay its grid out)."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document()
    table = document.add_table(rows=3, cols=2)
    for (row, column), text in {(0, 0): "Commune", (0, 1): "Ateliers de Laon et Soissons", (1, 0): "Laon",
                                (2, 0): "Soissons"}.items():  # fmt: skip
        table.cell(row, column).text = text
    for row, value in ((0, "restart"), (2, "continue")):
        merge = table.rows[row]._tr.tc_lst[1].get_or_add_tcPr()._add_vMerge()
        merge.set(qn("w:val"), value)
    middle = table.rows[1]._tr
    middle.remove(middle.tc_lst[1])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def lines_pdf_bytes(lines: list[str]) -> bytes:
    """A PDF page with exactly these lines, one under the other (line ends as given)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def wrapped_table_pdf_bytes(rows: list[list[list[str]]]) -> bytes:
    """A ruled table whose cells hold several lines, each word placed on its
    own (as report generators write them: no space characters in the page,
    the reader infers them from the gaps)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    left, top, width, height = 20, 30, 60, 20
    columns = max(len(row) for row in rows)
    for r in range(len(rows) + 1):
        pdf.line(left, top + r * height, left + columns * width, top + r * height)
    for c in range(columns + 1):
        pdf.line(left + c * width, top, left + c * width, top + len(rows) * height)
    for r, row in enumerate(rows):
        for c, lines in enumerate(row):
            for n, line in enumerate(lines):
                x = left + c * width + 2
                for word in line.split():
                    pdf.text(x, top + r * height + 6 + n * 5, word)
                    x += pdf.get_string_width(word) + pdf.get_string_width(" ")
    return bytes(pdf.output())


def cjk_pdf_bytes(lines: list[str], one_string_per_character: bool = True) -> bytes:
    """A page of Chinese as the OCR layer of a scanner writes it: the font is
    named (SimSun, characters coded by the predefined GBK-EUC-H CMap, no
    ToUnicode map) but not embedded, and each character is its own string
    placed on its own. Written by hand: fpdf2 only writes embedded fonts."""
    strings = []
    for row, line in enumerate(lines):
        y = 780 - 24 * row
        pieces = list(line) if one_string_per_character else [line]
        x = 72.0
        for piece in pieces:
            strings.append(f"BT /F1 14 Tf {x:.1f} {y} Td <{piece.encode('gbk').hex()}> Tj ET")
            x += 14 * len(piece)
    content = "\n".join(strings).encode("ascii")
    return _pdf_of_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun-GBK-EUC-H /Encoding /GBK-EUC-H /DescendantFonts [6 0 R] >>",
        (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /DW 1000 /FontDescriptor 7 0 R"
         b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> >>"),
        (b"<< /Type /FontDescriptor /FontName /SimSun /Flags 32 /FontBBox [-8 -145 1000 859] /ItalicAngle 0"
         b" /Ascent 859 /Descent -141 /CapHeight 684 /StemV 88 >>"),
    ])  # fmt: skip


def _pdf_of_objects(objects: list[bytes]) -> bytes:
    """A PDF file of these objects (numbered from 1, the first the catalogue),
    with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)
    return bytes(out)


def blank_scan_pdf_bytes() -> bytes:
    """A scanned page with nothing on it: a white picture."""
    image = Image.new("L", (1240, 1754), 255)
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=150)
    return buffer.getvalue()


def xlsb_bytes(rows: list[list[object]], sheet: str = "Annexe 1") -> bytes:
    """An Excel binary workbook (.xlsb): the BIFF12 records of [MS-XLSB] that
    a reader needs (sheet list, dimension, rows, number and text cells);
    LibreOffice reads this format but does not write it."""
    import zipfile

    def record(kind: int, data: bytes = b"") -> bytes:
        head = bytes([kind]) if kind < 0x80 else bytes([kind & 0xFF, kind >> 8])
        size, length = len(data), b""
        while True:
            length += bytes([(size & 0x7F) | (0x80 if size > 0x7F else 0)])
            size >>= 7
            if not size:
                break
        return head + length + data

    def text(value: str) -> bytes:
        return struct.pack("<I", len(value)) + value.encode("utf-16-le")

    book = record(0x018F) + record(0x019C, struct.pack("<II", 0, 1) + text("rId1") + text(sheet)) + record(0x0190)
    cells = record(0x0194, struct.pack("<IIII", 0, len(rows) - 1, 0, max(len(r) for r in rows) - 1))
    cells += record(0x0191)
    for r, row in enumerate(rows):
        cells += record(0x0000, struct.pack("<I", r))
        for c, value in enumerate(row):
            if isinstance(value, str):
                cells += record(0x0008, struct.pack("<II", c, 0) + text(value))  # text cell (formula result)
            else:
                cells += record(0x0005, struct.pack("<IId", c, 0, float(value)))  # number cell
    cells += record(0x0192)
    content_types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                     'package/2006/content-types"><Default Extension="bin" ContentType="application/'
                     'vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>')  # fmt: skip
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.bin" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>')  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("xl/workbook.bin", book)
        archive.writestr("xl/_rels/workbook.bin.rels", rels)
        archive.writestr("xl/worksheets/sheet1.bin", cells)
    return buffer.getvalue()



def ruled_sheet_scan_pdf_bytes(title: str, rows: list[list[str]], widths: list[float], dpi: int = 200) -> bytes:
    """A spreadsheet printed landscape with a border round every cell (column
    widths in mm, so that long headers and names wrap inside their cell), then
    scanned: an image-only PDF whose table is only pixels."""
    import pypdfium2
    from fpdf import FPDF

    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    printed = FPDF(orientation="L", format="A4")
    printed.add_page()
    family = "helvetica"
    if font.is_file():
        printed.add_font("body", fname=str(font))
        family = "body"
    printed.set_font(family, size=10)
    printed.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    printed.ln(3)
    printed.set_font(family, size=8)
    with printed.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT", line_height=4,
                       first_row_as_headings=False) as grid:
        for row in rows:
            cells = grid.row()
            for value in row:
                cells.cell(value)
    page = pypdfium2.PdfDocument(bytes(printed.output()))[0]
    width, height = page.get_size()
    image = page.render(scale=dpi / 72).to_pil().convert("L")
    scan = FPDF(unit="pt")
    scan.add_page(format=(width, height))
    scan.image(image, x=0, y=0, w=width, h=height)
    return bytes(scan.output())
