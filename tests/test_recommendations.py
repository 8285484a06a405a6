"""Recommendations: where they stand (headings, lists, tables, survey answers,
cue phrases) and what only looks like one (past actions, quoted texts,
questions, introductions). Every example is written for its test."""

from __future__ import annotations

from bilan.nlp.findings import findings_from_documents
from bilan.parsers.document import Block, BlockKind, Document, Provenance
from bilan.parsers.text import parse_html


def _document(*blocks: tuple[str, str] | Block, file: str = "contribution.docx") -> Document:
    """Blocks from (kind, text) pairs: kind is heading, paragraph or item."""
    kinds = {"heading": BlockKind.HEADING, "paragraph": BlockKind.PARAGRAPH, "item": BlockKind.LIST_ITEM}
    result = []
    for index, block in enumerate(blocks):
        if isinstance(block, Block):
            result.append(block)
            continue
        kind, text = block
        level = 1 if kind == "heading" else 0
        result.append(Block(kinds[kind], Provenance(file=file, paragraph=index), text=text, level=level))
    return Document(blocks=result)


def _recommendations(document: Document, kind: str = "contribution") -> list[str]:
    return [r.text for r in findings_from_documents([(0, document)], kind).recommendations]


def test_list_items_under_a_recommendations_heading_in_any_wording():
    document = _document(
        ("heading", "Bilan de l'année"),
        ("paragraph", "Trois réunions publiques ont rassemblé une centaine d'habitants."),
        ("heading", "III. Nos pistes d'amélioration"),
        ("item", "Ouvrir les réunions du comité de suivi à deux habitants tirés au sort."),
        ("item", "Mieux coordonner le calendrier des différentes instances du quartier."),
        ("item", "Mise en place d'une permanence mensuelle du délégué du préfet."),
        ("item", "Ne pas multiplier les questionnaires adressés aux mêmes familles."),
        ("heading", "IV. Conclusion"),
        ("paragraph", "Remercier chaleureusement les bénévoles pour leur engagement."),
    )
    assert _recommendations(document) == [
        "Ouvrir les réunions du comité de suivi à deux habitants tirés au sort.",
        "Mieux coordonner le calendrier des différentes instances du quartier.",
        "Mise en place d'une permanence mensuelle du délégué du préfet.",
        "Ne pas multiplier les questionnaires adressés aux mêmes familles.",
    ]


def test_descriptions_of_what_was_done_are_not_recommendations():
    document = _document(
        ("heading", "Recommandations"),
        ("paragraph", "En 2019, la commune avait proposé de créer un local partagé pour les associations."),
        ("paragraph", "Nous avons organisé trois ateliers de concertation avec les locataires."),
        ("paragraph", "Il avait été décidé de relancer le tirage au sort, sans suite."),
        ("paragraph", "Il était nécessaire de revoir le règlement intérieur, ce qui a été fait."),
        ("item", "Relancer le tirage au sort avant l'été prochain."),
    )
    assert _recommendations(document) == ["Relancer le tirage au sort avant l'été prochain."]


def test_quotes_of_the_law_and_reference_texts_are_not_recommendations():
    document = _document(
        ("heading", "Propositions"),
        ("paragraph", "La loi du 21 février 2014 prévoit que chaque quartier prioritaire dispose d'un conseil citoyen."),
        ("paragraph", "Le cadre de référence publié par l'État préconisait déjà de former les animateurs."),
        ("paragraph", "Selon la circulaire, il convient d'associer les habitants à toutes les étapes."),
        ("paragraph", "Le contrat de ville devrait prévoir un volet consacré à la participation."),
    )
    assert _recommendations(document) == [
        "Le contrat de ville devrait prévoir un volet consacré à la participation."
    ]


def test_questions_and_introductions_are_not_recommendations():
    document = _document(
        ("heading", "Préconisations"),
        ("paragraph", "Comment associer davantage les jeunes aux décisions du quartier ?"),
        ("paragraph", "Les participants ont retenu les orientations suivantes :"),
        ("item", "Organiser un forum annuel des initiatives d'habitants."),
        ("paragraph", "Ces orientations seront présentées au prochain comité de pilotage."),
    )
    assert _recommendations(document) == ["Organiser un forum annuel des initiatives d'habitants."]


def test_cue_phrases_are_found_anywhere_and_kept_in_the_text():
    document = _document(
        ("paragraph", "Le conseil citoyen s'est réuni six fois cette année. Par ailleurs, nous préconisons "
                      "de confier l'animation des réunions à une association du quartier."),
        ("paragraph", "Il serait souhaitable d'ouvrir le local le samedi matin. Les habitants apprécient le lieu."),
        ("paragraph", "Les participants recommandent de publier un calendrier des réunions."),
        ("paragraph", "Je vous propose de nous rencontrer la semaine prochaine."),
        ("paragraph", "Le centre social propose des ateliers de couture chaque semaine."),
        ("paragraph", "Nous souhaitons remercier les agents de la ville pour leur aide."),
        ("paragraph", "Il est prévu d'organiser une nouvelle rencontre au printemps."),
    )
    assert _recommendations(document) == [
        "Par ailleurs, nous préconisons de confier l'animation des réunions à une association du quartier.",
        "Il serait souhaitable d'ouvrir le local le samedi matin.",
        "Les participants recommandent de publier un calendrier des réunions.",
    ]


def test_labels_and_list_markers_are_removed_but_cue_phrases_kept():
    document = _document(
        ("paragraph", "Proposition : Étendre les horaires d'ouverture de la maison du projet."),
        ("heading", "Recommandations opérationnelles"),
        ("item", "- Préconisation n°2 : Former les nouveaux membres dès leur arrivée."),
        ("item", "3) Recommandation 3 - Verser les subventions avant le mois de mars."),
        ("item", "• Piste d'action 4 : il conviendrait de réunir les conseils citoyens voisins."),
    )
    assert _recommendations(document) == [
        "Étendre les horaires d'ouverture de la maison du projet.",
        "Former les nouveaux membres dès leur arrivée.",
        "Verser les subventions avant le mois de mars.",
        "il conviendrait de réunir les conseils citoyens voisins.",
    ]


def test_recommendations_in_table_cells_keep_the_authors_theme():
    rows = [
        ["N°", "Thème", "Recommandation", "Porteur"],
        ["1", "Numérique", "Prêter des tablettes aux membres qui n'en ont pas.", "Commune"],
        ["2", "Renouvellement des membres", "Organiser un appel à volontaires chaque automne.", "État"],
        ["3", "Divers", "Publier les avis du conseil sur le site de la ville.", "Commune"],
    ]
    document = Document(blocks=[Block.table(rows, Provenance(file="cr.pdf", page=3))])
    found = findings_from_documents([(2, document)], "contribution").recommendations
    assert [(r.text, r.theme_source) for r in found] == [
        ("Prêter des tablettes aux membres qui n'en ont pas.", "label"),
        ("Organiser un appel à volontaires chaque automne.", "label"),
        ("Publier les avis du conseil sur le site de la ville.", "model"),
    ]
    assert [r.theme for r in found[:2]] == ["numerique", "renouvellement"]
    assert found[0].provenance.cell_range == "C2" and found[0].provenance.page == 3
    assert found[0].attachment == 2 and found[0].origin == "table"


def test_a_table_of_survey_answers_gives_the_proposals_only():
    rows = [
        ["Question", "Réponse"],
        ["Nom et prénom", "DUPONT Marie"],
        ["Quelles difficultés rencontrez-vous ?", "Il faudrait plus de monde aux réunions."],
        ["Quelles sont vos propositions pour améliorer la participation ?",
         "Faire une fête des voisins au printemps. Que la mairie réponde à nos courriers."],
    ]
    document = Document(blocks=[Block.table(rows, Provenance(file="annexe3.docx", paragraph=1))])
    assert _recommendations(document, kind="survey_response") == [
        "Faire une fête des voisins au printemps.",
        "Que la mairie réponde à nos courriers.",
    ]


def test_survey_answers_typed_in_the_mail_body():
    body = (
        "Bonjour, voici mes réponses.\n\n"
        "1. Nom et prénom : MARTIN Paul\n"
        "2. Quelles difficultés rencontrez-vous ? : On ne nous écoute pas.\n"
        "3. Quelles sont vos propositions pour améliorer la participation des habitants ? : "
        "Avoir une boîte à idées dans le hall.\n\nPaul Martin\n"
    )
    from bilan.parsers.text import parse_text

    document = parse_text(body.encode(), "body")
    assert _recommendations(document, kind="survey_response") == ["Avoir une boîte à idées dans le hall."]


def test_a_survey_without_proposals_gives_nothing():
    rows = [["Question", "Réponse"], ["Quelles sont vos propositions ?", "Rien."]]
    document = Document(blocks=[Block.table(rows, Provenance(file="annexe3.pdf", page=1))])
    assert _recommendations(document, kind="survey_response") == []


def test_html_body_with_bold_numbered_titles():
    html = (
        "<p>Madame, Monsieur,</p><p><b>4. Points forts</b></p><p>Une forte mobilisation des locataires.</p>"
        "<p><b>5. Pistes de travail</b></p><ul><li>Créer un fonds d'initiatives pour les jeunes.</li>"
        "<li>Il est proposé d'installer un panneau d'affichage dans chaque hall.</li></ul>"
        "<p>Cordialement,</p><p>Service politique de la ville</p>"
    )
    document = parse_html(html, "body")
    assert _recommendations(document) == [
        "Créer un fonds d'initiatives pour les jeunes.",
        "Il est proposé d'installer un panneau d'affichage dans chaque hall.",
    ]


def test_text_extracted_from_pdf_is_repaired():
    """A PDF page read as one paragraph: headings run into the text, bullets
    read as `(cid:127)`, and a list item wrapped over two lines."""
    page = Provenance(file="compte-rendu.pdf", page=2)
    document = Document(blocks=[
        Block(BlockKind.PARAGRAPH, page, text="Le comité s'est réuni en mars. Propositions du groupe (cid:127) "
              "Créer une commission des usagers. (cid:127) Réunir les bailleurs deux fois par an."),
        Block(BlockKind.LIST_ITEM, page, text="• Préconisation n°3 : Mettre à disposition un local équipé pour"),
        Block(BlockKind.PARAGRAPH, page, text="les réunions du soir."),
    ])
    assert _recommendations(document) == [
        "Créer une commission des usagers.",
        "Réunir les bailleurs deux fois par an.",
        "Mettre à disposition un local équipé pour les réunions du soir.",
    ]


def test_the_same_recommendation_in_two_files_counts_once():
    first = _document(("heading", "Préconisations"), ("item", "Créer un budget participatif dans chaque quartier."))
    second = _document(
        ("heading", "Préconisations"), ("item", "Créer un budget participatif dans chaque quartier"),
        ("item", "Créer un budget participatif dans chaque commune."), file="contribution.pdf",
    )
    found = findings_from_documents([(0, first), (1, second)], "contribution").recommendations
    assert [(r.text, r.attachment) for r in found] == [
        ("Créer un budget participatif dans chaque quartier.", 0),
        ("Créer un budget participatif dans chaque commune.", 1),
    ]


def test_other_kinds_of_message_have_no_recommendations():
    document = _document(("heading", "Propositions"), ("item", "Organiser une réunion en janvier."))
    for kind in ("question", "auto_reply", "spam"):
        assert _recommendations(document, kind=kind) == []


def test_every_recommendation_gets_a_theme():
    document = _document(
        ("heading", "Préconisations"),
        ("item", "Financer un local équipé pour chaque conseil citoyen."),
        ("item", "Former les membres à la lecture des budgets publics."),
    )
    found = findings_from_documents([(None, document)], "contribution").recommendations
    assert [r.theme for r in found] == ["moyens", "formation"]
    assert all(r.theme_source == "model" and 0 < r.theme_score <= 1 for r in found)


def test_sub_headings_inside_the_recommendations_keep_the_section_and_give_the_theme():
    document = Document(blocks=[
        Block(BlockKind.HEADING, Provenance(file="note.docx", paragraph=0), text="Points d'amélioration", level=1),
        Block(BlockKind.HEADING, Provenance(file="note.docx", paragraph=1), text="Axe 1 : Gouvernance", level=2),
        Block(BlockKind.PARAGRAPH, Provenance(file="note.docx", paragraph=2),
              text="Il nous semble important d'ouvrir le comité technique aux habitants."),
        Block(BlockKind.HEADING, Provenance(file="note.docx", paragraph=3), text="Axe 2 : Moyens", level=2),
        Block(BlockKind.LIST_ITEM, Provenance(file="note.docx", paragraph=4),
              text="Les crédits devraient être versés avant le printemps."),
        Block(BlockKind.HEADING, Provenance(file="note.docx", paragraph=5), text="Annexes", level=1),
        Block(BlockKind.LIST_ITEM, Provenance(file="note.docx", paragraph=6), text="Lister les membres du conseil."),
    ])
    found = findings_from_documents([(None, document)], "contribution").recommendations
    assert [(r.text, r.theme, r.theme_source) for r in found] == [
        ("Il nous semble important d'ouvrir le comité technique aux habitants.", "gouvernance", "label"),
        ("Les crédits devraient être versés avant le printemps.", "moyens", "label"),
    ]


def test_plain_text_body_with_titles_on_their_own_lines():
    """Lines of a plain-text body are joined into paragraphs: the titles are
    found inside them."""
    from bilan.parsers.text import parse_text

    body = (
        "Madame, Monsieur,\n\n"
        "I. Contexte\nLe conseil citoyen s'est réuni quatre fois. En 2020, les habitants avaient suggéré "
        "de créer un jardin partagé, ce qui a été fait.\n\n"
        "II. Nos demandes\nNous demandons que les conseils citoyens soient consultés avant chaque programmation.\n"
        "La mise en place d'un réseau départemental des conseils citoyens.\n"
        "Que penser de la baisse des crédits ?\n\n"
        "Cordialement,\nMarie Dupont\n"
    )
    assert _recommendations(parse_text(body.encode(), "body")) == [
        "Nous demandons que les conseils citoyens soient consultés avant chaque programmation.",
        "La mise en place d'un réseau départemental des conseils citoyens.",
    ]


MARKERS = ["→", "•", "◦", "▪", "►", "✓", "➜", "⇒", "–", "-", "*", "1.", "2)", "3 -", "b)", "iv.", "(5)",
           "Proposition :", "Préconisation n°2 :", "• Recommandation 3 –"]


def test_list_markers_and_labels_are_stripped_whatever_their_style():
    sentence = "L'État et ses partenaires pourraient financer un poste d'animateur par quartier."
    document = _document(("heading", "Préconisations"), *(("item", f"{marker} {sentence}") for marker in MARKERS))
    found = findings_from_documents([(0, document)], "contribution").recommendations
    assert [r.text for r in found] == [sentence]  # every item, once stripped, is the same sentence


def test_list_markers_are_stripped_from_strengths_and_weaknesses():
    document = _document(
        ("heading", "Atouts et réussites"),
        ("item", "→ Un noyau d'habitants fidèles depuis la création du conseil."),
        ("item", "✓ Une fête de quartier qui a réuni trois cents personnes."),
        ("heading", "Fragilités"),
        ("item", "▪ Des locaux trop petits pour accueillir les réunions."),
        ("item", "2 - Une rotation rapide des animateurs."),
    )
    found = findings_from_documents([(0, document)], "contribution")
    assert [s.text for s in found.strengths] == [
        "Un noyau d'habitants fidèles depuis la création du conseil.",
        "Une fête de quartier qui a réuni trois cents personnes.",
    ]
    assert [w.text for w in found.weaknesses] == [
        "Des locaux trop petits pour accueillir les réunions.",
        "Une rotation rapide des animateurs.",
    ]


def test_bullets_inside_a_paragraph_start_items_without_their_glyph():
    document = _document(
        ("heading", "Propositions"),
        ("paragraph", "→ Ouvrir le comité de pilotage aux habitants. → Former les animateurs à la médiation."),
    )
    assert _recommendations(document) == [
        "Ouvrir le comité de pilotage aux habitants.",
        "Former les animateurs à la médiation.",
    ]
