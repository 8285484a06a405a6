"""Every format a contribution can carry becomes the same document model:
blocks in reading order, each with its provenance. Each test builds a small
file with known content and reads it back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bilan.parsers import BlockKind, ParseStatus
from bilan.parsers.registry import ParseOutcome, parse_outcome
from bilan.parsers.sniff import sniff_format
from tests import documents
from tests.documents import ANNEX_HEADER, ANNEX_ROWS, RECOMMENDATIONS, TITLE


def parse(data: bytes, filename: str) -> ParseOutcome:
    outcome = parse_outcome(data, filename, sniff_format(data, filename))
    assert outcome.status is not ParseStatus.UNSUPPORTED, outcome.reason
    return outcome


def kinds(outcome: ParseOutcome) -> list[tuple[str, int, str]]:
    return [(b.kind.value, b.level, b.text) for b in outcome.document.blocks if b.kind is not BlockKind.TABLE]


@pytest.fixture(scope="session")
def office(tmp_path_factory) -> Path:
    """A work folder for LibreOffice conversions (legacy formats are written
    by the office suite, as users' files are)."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is needed: `make debian-packages` installs it")
    return tmp_path_factory.mktemp("office")


def test_pdf_gives_headings_paragraphs_list_items_and_tables_in_order():
    outcome = parse(documents.pdf_bytes(), "bilan.pdf")
    assert outcome.status is ParseStatus.OK
    blocks = outcome.document.blocks
    assert [(b.kind.value, b.text) for b in blocks[:5]] == [
        ("heading", TITLE),
        ("heading", "Préconisations"),
        ("paragraph", "Les participants ont formulé les préconisations suivantes, discutées en séance plénière."),
        ("list_item", f"- {RECOMMENDATIONS[0]}."),
        ("list_item", f"- {RECOMMENDATIONS[1]}."),
    ]
    assert blocks[0].level < blocks[1].level  # bigger type, higher level
    table = blocks[5]
    assert table.kind is BlockKind.TABLE
    assert table.rows == [ANNEX_HEADER, *[[str(v) for v in row] for row in ANNEX_ROWS]]
    assert len(blocks) == 6  # the table's cells are not repeated as paragraphs
    assert all(b.provenance.file == "bilan.pdf" and b.provenance.page == 1 for b in blocks)
    assert not any(b.provenance.ocr for b in blocks)


def test_pdf_two_columns_are_read_column_by_column():
    first = " ".join(f"Phrase {n} de la colonne gauche." for n in range(1, 31))
    second = " ".join(f"Phrase {n} de la colonne droite." for n in range(1, 31))
    outcome = parse(documents.pdf_bytes(two_columns=f"{first}\n{second}"), "deux-colonnes.pdf")
    text = " ".join(b.text for b in outcome.document.blocks if b.provenance.page == 2)
    positions = [text.index(f"Phrase {n} de la colonne gauche.") for n in range(1, 31)]
    positions += [text.index(f"Phrase {n} de la colonne droite.") for n in range(1, 31)]
    assert positions == sorted(positions)  # left column whole, then the right one: never interleaved


def test_pdf_running_footer_is_removed_from_every_page():
    outcome = parse(documents.pdf_bytes(pages=3, running_footer=True), "trois-pages.pdf")
    text = outcome.document.text
    assert "Préfecture de l'Aisne - page" not in text
    assert all(sentence in text for sentence in documents.FOLLOWING_PAGES)
    assert outcome.document.metadata["pages"] == 3
    assert outcome.document.metadata["running_lines_removed"] == 3


def test_image_only_pdf_is_read_by_ocr_and_still_reported_as_scanned():
    outcome = parse(documents.scanned_pdf_bytes(), "Scan_0001.pdf")
    assert outcome.status is ParseStatus.SCANNED
    assert "OCR" in outcome.reason
    blocks = outcome.document.blocks
    assert blocks and all(b.provenance.ocr and b.provenance.page == 1 for b in blocks)
    text = outcome.document.text
    assert "Bilan des demarches participatives" in text
    assert "former les conseillers citoyens" in text
    assert outcome.document.metadata["ocr_confidence"] > 60


def test_picture_of_a_document_is_read_by_ocr_and_a_logo_is_not():
    scan = parse(documents.png_bytes(documents.text_image(documents.SCANNED_LINES)), "photo-du-bilan.png")
    assert scan.status is ParseStatus.SCANNED
    assert "conseil citoyen du quartier des Chardons" in scan.document.text
    assert all(b.provenance.ocr for b in scan.document.blocks)
    logo = parse(documents.logo_png(), "image001.png")
    assert logo.status is ParseStatus.OK
    assert logo.document.blocks == []
    assert logo.document.metadata == {"image": "png", "width": 180, "height": 70, "frames": 1, "small": True}


def test_docx_headings_nested_lists_and_merged_cells():
    outcome = parse(documents.docx_bytes(), "note.docx")
    assert kinds(outcome) == [
        ("heading", 1, TITLE),
        ("paragraph", 0, "Le département a retenu la modalité 3."),
        ("heading", 2, "Préconisations"),
        ("list_item", 1, RECOMMENDATIONS[0]),
        ("list_item", 1, RECOMMENDATIONS[1]),
        ("list_item", 2, "Un point détaillé"),
    ]
    table = outcome.document.tables[0]
    # A merged cell keeps its value in every column and row it covers.
    assert table.rows == [
        ["Quartier", "Quartier", "Habitants"],
        ["Laon", "QN00201", "12"],
        ["Laon", "QN00203", "5"],
        ["Soissons", "QN00202", "8"],
    ]
    assert [b.provenance.paragraph for b in outcome.document.blocks] == [0, 1, 2, 3, 4, 5, 6]


def test_odt_headings_nested_lists_and_table():
    outcome = parse(documents.odt_bytes(), "compte-rendu.odt")
    assert kinds(outcome) == [
        ("heading", 1, TITLE),
        ("paragraph", 0, "Le département a retenu la modalité 1."),
        ("heading", 2, "Préconisations"),
        ("list_item", 1, RECOMMENDATIONS[0]),
        ("list_item", 1, RECOMMENDATIONS[1]),
        ("list_item", 2, "Un point détaillé"),
    ]
    assert outcome.document.tables[0].rows == [ANNEX_HEADER, *ANNEX_ROWS]


def test_legacy_doc_and_rtf_are_read_through_libreoffice(office):
    for suffix in ("doc", "rtf"):
        data = documents.convert(documents.odt_bytes(), ".odt", suffix, office)
        outcome = parse(data, f"ancien.{suffix}")
        assert outcome.status is ParseStatus.OK, outcome.reason
        assert outcome.document.metadata["converted_by"] == "LibreOffice"
        assert kinds(outcome)[:4] == [
            ("heading", 1, TITLE),
            ("paragraph", 0, "Le département a retenu la modalité 1."),
            ("heading", 2, "Préconisations"),
            ("list_item", 1, RECOMMENDATIONS[0]),
        ]
        assert outcome.document.tables[0].rows == [ANNEX_HEADER, *[[str(v) for v in r] for r in ANNEX_ROWS]]


def test_xlsx_visible_sheets_merged_cells_hidden_rows_and_cached_formulas(office):
    # Saved once by LibreOffice, as users' files are, so that formulas carry their computed value.
    data = documents.convert(documents.xlsx_workbook_bytes(), ".xlsx", "xlsx", office)
    outcome = parse(data, "Annexe 1.xlsx")
    document = outcome.document
    assert document.metadata["hidden_sheets"] == ["Listes"]
    [table] = document.tables  # the hidden sheet of lookup values is not read
    title = "ANNEXE 1 – BILAN DES CONSEILS CITOYENS"
    assert table.rows == [
        [title, title, title],
        ANNEX_HEADER,
        *ANNEX_ROWS,
        ["Brouillon", "QN00299", 1],
        ["Total", None, 20],
    ]
    assert table.provenance.sheet == "Annexe 1"
    assert table.provenance.cell_range == "A1:C6"
    assert table.attributes["hidden_rows"] == [5]
    assert table.attributes["merged"] == ["A1:C1"]


def test_legacy_xls_reads_like_xlsx(office):
    data = documents.convert(documents.xlsx_workbook_bytes(), ".xlsx", "xls", office)
    assert sniff_format(data, "annexe.xls") == "xls"
    outcome = parse(data, "annexe.xls")
    [table] = outcome.document.tables
    assert table.rows[1:] == [ANNEX_HEADER, *ANNEX_ROWS, ["Brouillon", "QN00299", 1], ["Total", None, 20]]
    assert table.attributes["hidden_rows"] == [5]
    assert table.attributes["merged"] == ["A1:C1"]
    assert outcome.document.metadata["hidden_sheets"] == ["Listes"]


def test_ods_typed_cells_spans_hidden_rows_and_endless_empty_rows():
    outcome = parse(documents.ods_bytes(), "Annexe 2.ods")
    assert outcome.document.metadata["hidden_sheets"] == ["Listes"]
    [table] = outcome.document.tables
    assert table.rows == [
        ["ANNEXE 2", "ANNEXE 2", "ANNEXE 2"],
        ANNEX_HEADER,
        *ANNEX_ROWS,
        ["Brouillon", "QN00299", 1],
        ["2016-03-01", True, None],
    ]  # and not a million empty rows
    assert (table.provenance.sheet, table.provenance.cell_range) == ("Annexe 2", "A1:C6")
    assert table.attributes["hidden_rows"] == [5]


def test_csv_is_one_table_whatever_its_delimiter():
    outcome = parse(documents.csv_bytes(), "annexe.csv")
    [table] = outcome.document.tables
    assert table.rows == [ANNEX_HEADER, *[[str(v) for v in row] for row in ANNEX_ROWS]]
    assert outcome.document.metadata["delimiter"] == ";"
    comma = parse(b"Commune,Code QPV\nLaon,QN00201\n", "export.csv")
    assert comma.document.tables[0].rows == [["Commune", "Code QPV"], ["Laon", "QN00201"]]


def test_html_file_gives_blocks_and_tables():
    html = (
        b"<html><body><h1>Bilan</h1><p>Texte d'introduction.</p><ol><li>Former</li><li>Associer</li></ol>"
        b"<table><tr><th>Commune</th><th>QPV</th></tr><tr><td>Laon</td><td>QN00201</td></tr></table></body></html>"
    )
    outcome = parse(html, "contribution.html")
    assert kinds(outcome) == [
        ("heading", 1, "Bilan"),
        ("paragraph", 0, "Texte d'introduction."),
        ("list_item", 1, "Former"),
        ("list_item", 1, "Associer"),
    ]
    assert outcome.document.tables[0].rows == [["Commune", "QPV"], ["Laon", "QN00201"]]


def test_outlook_msg_gives_its_body_and_its_attachments_as_children():
    data = documents.msg_bytes(
        "Bilan Aisne", "Madame,\n\nVeuillez trouver notre contribution.\n", [("annexe.csv", documents.csv_bytes())]
    )
    assert sniff_format(data, "message.msg") == "msg"
    outcome = parse(data, "message.msg")
    assert kinds(outcome) == [("paragraph", 0, "Madame,"), ("paragraph", 0, "Veuillez trouver notre contribution.")]
    assert outcome.document.metadata["subject"] == "Bilan Aisne"
    assert [(f.filename, f.data) for f in outcome.document.files] == [("annexe.csv", documents.csv_bytes())]


def test_winmail_dat_gives_its_body_and_its_attachments_as_children():
    data = documents.tnef_bytes("Veuillez trouver l'annexe.\n", [("Annexe 1.csv", documents.csv_bytes())])
    assert sniff_format(data, "winmail.dat") == "tnef"
    outcome = parse(data, "winmail.dat")
    assert kinds(outcome) == [("paragraph", 0, "Veuillez trouver l'annexe.")]
    assert [(f.filename, f.data) for f in outcome.document.files] == [("Annexe 1.csv", documents.csv_bytes())]
