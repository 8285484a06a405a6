"""The robustness suite: each perturbation of `bench/perturb.py` really
rewrites what it claims (on small messages built here), and the suite run on
a sample of the dev corpus keeps its metrics above honest floors."""

from __future__ import annotations

import email
import email.policy
import io
import json
import random
from email.message import EmailMessage

import docx
import openpyxl
import pypdfium2
import pytest

from bench import perturb as P

HEADER = ["Commune", "Code QPV", "Nom du quartier prioritaire (QPV)", "Conseil citoyen constitué (oui/non)",
          "Nombre de membres - collège habitants", "Nombre de membres - collège acteurs locaux", "Budget annuel (€)"]
ROWS = [
    ["Laon", "QN00201", "Champagne", "oui", 12, 4, "3 000 €"],
    ["Soissons", "QN00202", "Presles", "non", None, None, None],
    ["Chauny", "QN00203", "Le Brouage", "oui", 9, 2, "1 500 €"],
]
SIGNATURE = ["Camille Martin", "Chargée de mission politique de la ville", "Préfecture de l'Aisne", "03 23 00 00 00"]
BODY = "\n".join([
    "Bonjour,", "", "Voici nos propositions :", "- former les conseillers citoyens ;",
    "- associer les habitants au comité de pilotage.", "", "Bien cordialement,", "", *SIGNATURE, "",
])
MESSAGE_ID = "<robustness-test@aisne.gouv.fr>"
RECEIVED = "from smtp.aisne.gouv.fr by mx.anct.gouv.fr; Fri, 03 Dec 2021 10:00:00 +0000"


def annex_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Annexe 1"
    sheet.append(["ANNEXE 1 – BILAN DES CONSEILS CITOYENS"])
    sheet.merge_cells("A1:G1")
    sheet.append(["Département :", "Aisne (02)"])
    sheet.append([])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def report_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Préconisations", level=1)
    document.add_paragraph("Renforcer la formation des membres.", style="List Bullet")
    document.add_paragraph("Ouvrir les comités de pilotage aux habitants.", style="List Bullet")
    document.add_paragraph("Les échanges ont été riches.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_message() -> tuple[bytes, dict]:
    message = EmailMessage()
    message["Received"] = RECEIVED
    message["Message-ID"] = MESSAGE_ID
    message["From"] = "Camille Martin <camille.martin@aisne.gouv.fr>"
    message["To"] = "participation-habitants@anct.gouv.fr"
    message["Subject"] = "Bilan des démarches participatives - Aisne"
    message.set_content(BODY)
    message.add_attachment(annex_xlsx(), maintype=P.XLSX_TYPE[0], subtype=P.XLSX_TYPE[1], filename="Annexe 1 - Aisne.xlsx")
    message.add_attachment(report_docx(), maintype=P.DOCX_TYPE[0], subtype=P.DOCX_TYPE[1], filename="Contribution Aisne.docx")
    truth = {
        "message_id": MESSAGE_ID, "kind": "contribution", "departments": ["02"],
        "attachments": [
            {"filename": "Annexe 1 - Aisne.xlsx", "format": "xlsx", "role": "annexe1", "parseable": True,
             "error_kind": None, "inside": None},
            {"filename": "Contribution Aisne.docx", "format": "docx", "role": "contribution", "parseable": True,
             "error_kind": None, "inside": None},
        ],
        "annexe1_rows": [{"commune": row[0], "qpv_code": row[1]} for row in ROWS],
    }
    return bytes(message), truth


@pytest.fixture(scope="module")
def sample() -> tuple[bytes, dict]:
    return build_message()


def attachment(raw: bytes, suffix: str) -> tuple[str, bytes, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        name = part.get_filename()
        if name and name.lower().endswith(suffix):
            return name, part.get_content(), part.get_content_type()
    raise AssertionError(f"no {suffix} attachment")


def sheet_rows(data: bytes) -> list[tuple]:
    return [row for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def body_text(raw: bytes) -> str:
    return email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()


def columns(rows: list[tuple], header_index: int) -> dict[str, list]:
    """Header text -> the values below it."""
    header = rows[header_index]
    return {str(header[c]): [row[c] for row in rows[header_index + 1:]] for c in range(len(header)) if header[c]}


# --------------------------------------------------------------------------- #
# MIME rewriting
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("family", sorted(P.FAMILIES))
def test_every_family_keeps_the_envelope(sample, family):
    raw, truth = sample
    result = P.perturb(family, raw, truth)
    assert result is not None and result.changes
    original = email.message_from_bytes(raw, policy=email.policy.default)
    rewritten = email.message_from_bytes(result.raw, policy=email.policy.default)
    assert result.raw != raw
    for header in ("Message-ID", "Received", "From", "Subject"):
        assert rewritten[header] == original[header]
    assert result.truth["message_id"] == truth["message_id"]
    assert [a["role"] for a in result.truth["attachments"]] == ["annexe1", "contribution"]


def test_families_skip_messages_they_do_not_apply_to():
    message = EmailMessage()
    message["Message-ID"] = "<plain@example.org>"
    message.set_content("Bonjour,\n\nMerci de votre message.\n")
    truth = {"message_id": "<plain@example.org>", "attachments": []}
    for family in ("paraphrase", "shuffle", "merged_header", "docx", "pdf", "scan", "bullets", "signature"):
        assert P.perturb(family, bytes(message), truth) is None


@pytest.mark.parametrize("family", ["paraphrase", "shuffle", "bullets", "signature"])
def test_a_rewrite_is_deterministic(sample, family):
    """Same seed, same rewrite (office files carry their save time, so the
    content is compared, not the bytes)."""
    raw, truth = sample
    first, again, other = (P.perturb(family, raw, truth, seed=seed) for seed in (3, 3, 4))
    assert first.changes == again.changes
    assert sheet_rows(attachment(first.raw, ".xlsx")[1]) == sheet_rows(attachment(again.raw, ".xlsx")[1])
    assert body_text(first.raw) == body_text(again.raw)
    if family in ("paraphrase", "shuffle"):
        assert other.changes != first.changes


# --------------------------------------------------------------------------- #
# Annex tables
# --------------------------------------------------------------------------- #


def test_header_row_is_found_below_title_rows():
    assert P.header_row(sheet_rows(annex_xlsx())) == 3


def test_paraphrase_rewords_every_header_and_keeps_the_values(sample):
    raw, truth = sample
    result = P.perturb("paraphrase", raw, truth)
    rows = sheet_rows(attachment(result.raw, ".xlsx")[1])
    new_header = [str(value) for value in rows[3]]
    assert all(P._fold(new) != P._fold(old) for new, old in zip(new_header, HEADER))
    assert [list(row) for row in rows[4:]] == ROWS
    assert result.truth == truth


def test_paraphrase_draws_on_vector_neighbours():
    neighbours = P.vector_neighbours()
    found = neighbours.of("habitants")
    assert found and "habitants" not in found and "habitant" not in found
    rewritten = {P.paraphrase_header("Nombre d'habitants", random.Random(seed)) for seed in range(12)}
    assert any(word in " ".join(rewritten) for word in found)


def test_shuffle_permutes_columns_with_their_values(sample):
    raw, truth = sample
    result = P.perturb("shuffle", raw, truth)
    rows = sheet_rows(attachment(result.raw, ".xlsx")[1])
    assert list(rows[3]) != HEADER
    assert sorted(rows[3]) == sorted(HEADER)
    assert columns(rows, 3) == columns([tuple(HEADER), *map(tuple, ROWS)], 0)


def test_shuffle_keeps_total_and_comment_labels_first():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(ROWS[0])
    sheet.append(["Commentaire : données de la commune"])
    sheet.merge_cells("A3:G3")
    sheet.append(["TOTAL", None, None, None, 12, 4, None])
    out = io.BytesIO()
    workbook.save(out)
    data, _ = P.shuffle_workbook(out.getvalue(), random.Random(1))
    shuffled = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [row for row in shuffled.iter_rows(values_only=True)]
    assert rows[0][0] != HEADER[0]  # the label's column moved away
    assert rows[2][0] == "Commentaire : données de la commune" and "A3:G3" in {str(r) for r in shuffled.merged_cells.ranges}
    assert rows[3][0] == "TOTAL"
    assert rows[3][rows[0].index(HEADER[4])] == 12 and rows[3][rows[0].index(HEADER[5])] == 4
    assert columns(rows[:2], 0) == columns([tuple(HEADER), tuple(ROWS[0])], 0)


def test_merged_header_spans_two_rows_with_merged_cells(sample):
    raw, truth = sample
    result = P.perturb("merged_header", raw, truth)
    workbook = openpyxl.load_workbook(io.BytesIO(attachment(result.raw, ".xlsx")[1]))
    sheet = workbook.active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    assert rows[3][4] == "Nombre de membres" and rows[4][4:6] == ("collège habitants", "collège acteurs locaux")
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "E4:F4" in merged  # the shared upper header
    assert "A4:A5" in merged  # a single header down both rows
    assert [list(row) for row in rows[5:]] == ROWS


def test_docx_move_changes_format_and_stays_readable(sample):
    from bilan.parsers.registry import parse_file

    raw, truth = sample
    result = P.perturb("docx", raw, truth)
    name, data, content_type = attachment(result.raw, "aisne.docx")
    assert name == "Annexe 1 - Aisne.docx" and content_type == "application/" + P.DOCX_TYPE[1]
    table = docx.Document(io.BytesIO(data)).tables[0]
    assert [cell.text for cell in table.rows[0].cells] == HEADER
    assert [cell.text for cell in table.rows[1].cells][:2] == ["Laon", "QN00201"]
    assert any(block.kind.value == "table" for block in parse_file(data, name, "docx").blocks)
    moved = result.truth["attachments"][0]
    assert (moved["filename"], moved["format"], moved["role"]) == ("Annexe 1 - Aisne.docx", "docx", "annexe1")


def test_pdf_move_has_a_text_table(sample):
    raw, truth = sample
    result = P.perturb("pdf", raw, truth)
    name, data, content_type = attachment(result.raw, ".pdf")
    assert content_type == "application/pdf" and result.truth["attachments"][0]["format"] == "pdf"
    text = pypdfium2.PdfDocument(data)[0].get_textpage().get_text_range()
    assert "QN00203" in text and "Le Brouage" in text


def test_a_table_wider_than_the_page_is_shrunk_to_fit():
    wide = P.Table("Annexe", ["ANNEXE"], [[f"Intitulé de colonne numéro {c} très long" for c in range(14)]] * 3)
    text = pypdfium2.PdfDocument(P.tables_to_pdf([wide]))[0].get_textpage().get_text_range()
    assert "ANNEXE" in text and "13" in text


def test_scan_has_no_text_layer_and_is_truthfully_unparseable(sample):
    raw, truth = sample
    result = P.perturb("scan", raw, truth)
    name, data, _ = attachment(result.raw, ".pdf")
    page = pypdfium2.PdfDocument(data)[0]
    assert page.get_textpage().get_text_range().strip() == ""
    assert any(obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())
    moved = result.truth["attachments"][0]
    assert (moved["parseable"], moved["error_kind"], moved["role"]) == (False, "scanned", "annexe1")
    assert result.truth["annexe1_rows"] == truth["annexe1_rows"]  # what the image shows still counts


# --------------------------------------------------------------------------- #
# Signatures and bullets
# --------------------------------------------------------------------------- #


def test_signature_block_is_found_at_the_end_of_the_body():
    lines = BODY.splitlines()
    first, end = P.signature_span(lines)
    assert lines[first:end] == SIGNATURE


def test_signature_is_not_taken_from_a_quoted_message():
    lines = ["Merci.", "", "Le 3 déc. 2021, Camille Martin a écrit :", "> Bonjour", "", *SIGNATURE]
    assert P.signature_span(lines) is None


@pytest.mark.parametrize("layout", P.SIGNATURE_LAYOUTS)
def test_signature_layouts(layout):
    lines = P.reflow_signature(SIGNATURE, layout)
    assert lines != SIGNATURE
    joined = "\n".join(lines)
    assert all(item in joined for item in SIGNATURE)
    if layout == "one_line":
        assert lines == [" / ".join(SIGNATURE)]
    elif layout == "mobile":
        assert lines[0] == P.MOBILE_LINE
    elif layout == "name_service":
        assert len(lines) == 2 and lines[0] == SIGNATURE[0]
    else:
        assert lines[-1] == SIGNATURE[0]


def test_signature_family_rewrites_the_body_only(sample):
    raw, truth = sample
    result = P.perturb("signature", raw, truth)
    text = body_text(result.raw)
    assert "Voici nos propositions" in text
    assert text.splitlines()[-len(SIGNATURE):] != SIGNATURE
    assert attachment(result.raw, ".xlsx")[1] == annex_xlsx() or sheet_rows(attachment(result.raw, ".xlsx")[1]) == sheet_rows(annex_xlsx())


def test_bullets_change_in_the_body_and_in_word_lists(sample):
    raw, truth = sample
    result = P.perturb("bullets", raw, truth)
    items = [line for line in body_text(result.raw).splitlines() if "conseillers" in line or "comité" in line]
    assert items and not any(line.startswith("- ") for line in items)
    marker = items[0].split()[0]
    assert marker in P.MARKERS or marker in ("a)", "1)", "1.")
    paragraphs = docx.Document(io.BytesIO(attachment(result.raw, ".docx")[1])).paragraphs
    listed = [p for p in paragraphs if "formation" in p.text or "pilotage" in p.text]
    assert all(not p.style.name.startswith("List") for p in listed)
    assert all(p.text.split()[0] in ("•", "→", "–", "✓", "▪", "1)", "a)", "1.", "2)", "b)", "2.") for p in listed)


def test_rebullet_numbers_each_list_afresh():
    lines, count = P.rebullet_lines(["Intro :", "- un", "- deux", "Suite :", "* trois"], "1)")
    assert count == 3
    assert lines == ["Intro :", "1) un", "2) deux", "Suite :", "1) trois"]


# --------------------------------------------------------------------------- #
# The suite on a sample of the dev corpus
# --------------------------------------------------------------------------- #

#: Measured on this sample (6 messages, seed 0: shuffle rewrites 4, signature
#: 6) before the floors were set, a little below: every one was 1.000 except
#: shuffle's annexe2_row_precision, 0.857. The coordinator raises them as
#: extraction improves.
SAMPLE_FLOORS = {
    ("shuffle", "annexe1_cell_accuracy"): 0.95,
    ("shuffle", "annexe2_cell_accuracy"): 0.95,
    ("shuffle", "annexe1_row_precision"): 0.95,
    ("shuffle", "annexe2_row_precision"): 0.8,
    ("signature", "kind_accuracy"): 0.95,
    ("signature", "department_accuracy"): 0.95,
    ("signature", "sender_role_accuracy"): 0.95,
    ("signature", "pii_accuracy"): 0.95,
}
#: The template-only ablation's target (issue 12): annex cells read with only
#: the ANCT templates' header texts as anchors.
ABLATION_FLOOR = 0.95


@pytest.mark.corpus
@pytest.mark.slow
def test_suite_on_a_sample_keeps_its_floors(corpus, tmp_path):
    from bench.robustness import format_table, run_suite

    result = run_suite(corpus, ["shuffle", "signature"], sample=6, workdir=tmp_path, seed=0, ablation=True, log=lambda _: None)
    table = format_table(result)
    print(table)
    assert len(result.sample) == 6
    scores = {score.name: score for score in result.families}
    assert set(scores) == {"shuffle", "signature"}
    for (family, metric), floor in SAMPLE_FLOORS.items():
        value = scores[family].perturbed[metric]
        assert value is not None and value >= floor, f"{family} {metric} = {value} < {floor}\n{table}"
    assert result.ablation is not None
    for metric in ("annexe1_cell_accuracy", "annexe2_cell_accuracy"):
        value = result.ablation.perturbed[metric]
        assert value is not None and value >= ABLATION_FLOOR, f"templates only: {metric} = {value}"
    json.dumps(result.clean)  # the figures are plain numbers


@pytest.mark.corpus
def test_departments_derived_for_a_subset_follow_the_corpus_rule(corpus):
    """The suite scores subsets with a departments table derived from their
    truth; on the whole corpus that derivation gives the labelled table back."""
    from bench.robustness import derive_departments, load_corpus

    labelled = json.loads((corpus / "departments.json").read_text(encoding="utf-8"))
    derived = derive_departments(item.truth for item in load_corpus(corpus))
    assert derived
    for code, entry in derived.items():
        assert entry["status"] == labelled[code]["status"], code
        assert entry["first_contribution_at"] == labelled[code]["first_contribution_at"], code
        assert sorted(entry["messages"]) == sorted(labelled[code]["messages"]), code
