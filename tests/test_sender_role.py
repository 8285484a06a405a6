"""Who wrote: the sender's role from their title, mailbox, service and signature."""

from __future__ import annotations

import pytest

from bilan.nlp.extraction import extract
from bilan.parsers import parse_message
from tests.mail import message

CLOSING = "Bonjour,\n\nVeuillez trouver ci-joint notre contribution écrite.\n\nCordialement,\n\n"


def _role(sender: str, signature: str = "", subject: str = "Contribution bilan", body: str | None = None) -> str:
    mail = message(sender=sender, subject=subject, body=body if body is not None else CLOSING + signature)
    return extract(parse_message(mail.as_bytes())).sender_role


@pytest.mark.parametrize(
    ("sender", "signature", "role"),
    [
        ("Anne <anne.mercier@haut-rhin.gouv.fr>", "Anne MERCIER\nDéléguée du préfet dans les quartiers prioritaires\n"
         "Préfecture du Haut-Rhin", "delegue_prefet"),
        ("Julie <julie.dasilva@pas-de-calais.gouv.fr>", "Julie DA SILVA\nSecrétaire générale de la sous-préfecture\n"
         "Sous-préfecture de Boulogne-sur-Mer", "sous_prefecture"),
        ("Emilie <emilie.nguyen@marne.gouv.fr>", "Émilie Nguyen\nChargée de mission – Direction départementale de "
         "l'emploi, du travail et des solidarités de la Marne", "ddets"),
        ("Paul <paul.durand@aisne.gouv.fr>", "Paul Durand\nChef du bureau de la politique de la ville\n"
         "Préfecture de l'Aisne", "prefecture"),
        ("SGAR Grand Est <sgar-cohesion@grand-est.gouv.fr>", "Céline Durand | Chargée de mission – SGAR", "sgar"),
        # A functional mailbox says which service writes, whatever the display name.
        ("DDETS 55 - Politique de la ville <pref-bpv@meuse.gouv.fr>", "Isabelle Vincent\nPréfecture de la Meuse",
         "prefecture"),
        ("PREF 26/BPV <ddets-politique-ville@drome.gouv.fr>", "Thomas Lambert\nPréfecture de la Drôme", "ddets"),
        # A title in the display name, even broken by header folding.
        ('"ROUSSEAU Éric (Secrétaire général de la s ous-préfecture)" <eric.rousseau@martinique.gouv.fr>',
         "Éric Rousseau", "sous_prefecture"),
        # A signature pasted from a colleague describes the colleague, not the sender.
        ('"HOARAU Camille (Chargée de mission politique de la ville)" <camille.hoarau@reunion.gouv.fr>',
         "Abdel Hoarau | Délégué du préfet\nPréfecture de La Réunion", "prefecture"),
        # A delegate writing from a personal address signs as such.
        ("Philippe Garcia <pgarcia@yahoo.fr>", "Philippe GARCIA\nDélégué du préfet\nPréfecture des Hautes-Pyrénées",
         "delegue_prefet"),
    ],
)
def test_state_roles(sender, signature, role):
    assert _role(sender, signature) == role


def test_members_and_associations():
    survey = "Bonjour je vous envoie le questionnaire rempli.\nPaul Durand 06 11 22 33 44\n"
    assert _role("Paul <paul.durand@free.fr>", subject="Questionnaire conseil citoyen", body=survey) == \
        "conseil_citoyen_member"
    forward = "Bonjour,\n\nNous vous transmettons les questionnaires des membres du conseil citoyen.\n\nCordialement,\n\n" \
              "Hervé Mercier\nCoordinatrice – Centre social La Résidence\n"
    assert _role("Centre social La Résidence <cs-residence@free.fr>", subject="Questionnaires conseil citoyen",
                 body=forward) == "association"


def test_robots_and_advertisers_are_other():
    assert _role("MAILER-DAEMON@relais.example.fr", subject="Undelivered Mail Returned to Sender", body="failed") == "other"
    assert _role("promo@offres.fr", subject="Webinaire", body="Inscrivez-vous à notre webinaire.") == "other"


# -- signatures in any layout ---------------------------------------------------------------------

THANKS = "Bonjour,\n\nVeuillez trouver ci-joint le bilan de notre département.\n\n"


@pytest.mark.parametrize(
    ("sender", "body", "role"),
    [
        # one line, parts separated by slashes; the sender signs with an initial
        ("GIRAUD Agnès <agnes.giraud@essonne.gouv.fr>",
         THANKS + "Bien cordialement\n\nA. Giraud / Directrice adjointe / Direction départementale de l'emploi, "
         "du travail et des solidarités de l'Essonne / 01 60 76 12 34", "ddets"),
        # the service line comes after the phone's footer, no closing formula
        ("Hugo Lemaire <hugo.lemaire@somme.gouv.fr>",
         "Bonjour,\nJe vous confirme l'envoi du bilan ci-joint.\n\nEnvoyé de mon iPhone\n\n"
         "Hugo Lemaire – Pôle cohésion sociale – DDETS de la Somme", "ddets"),
        ("Hugo Lemaire <hugo.lemaire@somme.gouv.fr>",
         THANKS + "Cordialement\nEnvoyé de mon iPhone\nDDETS 80 – Pôle politique de la ville", "ddets"),
        # the sous-préfecture under the sender's name, written with an initial
        ("LEFEVRE Marc <marc.lefevre@oise.gouv.fr>",
         THANKS + "Cordialement,\n\nM. Lefèvre\nSous-préfecture de Beauvais\n03 44 06 12 00", "sous_prefecture"),
        # a title in the display name, without parentheses
        ("Sophie Martin - Déléguée du préfet <sophie.martin@oise.gouv.fr>", THANKS + "Cordialement,\n\nSophie Martin",
         "delegue_prefet"),
        ("Sous-préfecture de Sarlat <sophie.martin@dordogne.gouv.fr>", THANKS + "Cordialement,\n\nSophie Martin",
         "sous_prefecture"),
        # regional level, the sender signs with an initial, under the préfecture de région's name
        ("Claire Petit <claire.petit@hauts-de-france.gouv.fr>",
         THANKS + "Bien à vous,\n\nC. Petit\nAdjointe au SGAR\nPréfecture de la région Hauts-de-France", "sgar"),
        # the sender signs with the long form of the first name in their display name
        ("Cathy DUPONT <cathy.dupont@oise.gouv.fr>",
         THANKS + "Cordialement,\n\nCatherine Dupont\nDéléguée du préfet – quartiers de Creil", "delegue_prefet"),
        # a région's mail domain, not a département's: the regional level
        ("Marie Roux <marie.roux@occitanie.gouv.fr>", THANKS + "Cordialement,\n\nMarie Roux", "sgar"),
        # the signature stands above a closing that ends the text
        ("Julie Bernard <julie.bernard@landes.gouv.fr>",
         THANKS + "Julie Bernard\nDéléguée du préfet – quartiers prioritaires de Dax\nBonne journée", "delegue_prefet"),
    ],
)
def test_signatures_in_other_layouts(sender, body, role):
    assert _role(sender, body=body) == role


@pytest.mark.parametrize(
    ("sender", "body", "role"),
    [
        ("Lucas Bernard <lucas.bernard@cantal.gouv.fr>",
         THANKS + "Cordialement\n\nLucas Bernard | Chargé de mission | DDETS-PP du Cantal | 04 71 00 00 00", "ddets"),
        ("Marc Lefèvre <marc.lefevre@oise.gouv.fr>",
         THANKS + "Cordialement,\n\nPour le sous-préfet,\nLa secrétaire générale\nMarc Lefèvre\n"
         "Sous-préfecture de Beauvais", "sous_prefecture"),
    ],
)
def test_layouts_read_before_stay_read(sender, body, role):
    assert _role(sender, body=body) == role


def test_a_signature_whose_line_breaks_were_lost():
    """A mail written without blank lines reaches us as one paragraph: the
    signature is found after its closing formula all the same."""
    body = ("Bonjour,\nLa rencontre s'est tenue à la sous-préfecture de Dax.\nCordialement,\nJulie Bernard\n"
            "DDETS des Landes\n")
    assert _role("Julie Bernard <julie.bernard@landes.gouv.fr>", body=body) == "ddets"
    unsigned = ("Bonjour,\nLa rencontre s'est tenue à la sous-préfecture de Dax avec les habitants.\nJulie Bernard\n"
                "DDETS des Landes\n")
    assert _role("Julie Bernard <julie.bernard@landes.gouv.fr>", body=unsigned) == "ddets"
    pasted = "Bonjour,\nCi-joint notre bilan.\nCordialement,\nAbdel Hoarau\nDélégué du préfet\nPréfecture de La Réunion"
    assert _role('"HOARAU Camille" <camille.hoarau@reunion.gouv.fr>', body=pasted) == "prefecture"


def test_the_quoted_history_in_the_same_paragraph_is_not_the_senders():
    body = ("Bonjour,\nVoici notre bilan.\nCordialement,\nJulie Bernard\nDDETS des Landes\n"
            "-----Message d'origine-----\nDe : Marc Lefèvre\nEnvoyé : lundi 6 décembre 2021 10:12\nObjet : bilan\n"
            "Merci de me transmettre le bilan.\nMarc Lefèvre\nSous-préfecture de Dax\n")
    assert _role("Julie Bernard <julie.bernard@landes.gouv.fr>", body=body) == "ddets"


def test_a_service_named_in_the_text_is_not_the_senders():
    body = ("Bonjour,\n\nLa rencontre s'est tenue à la sous-préfecture de Dax avec les délégués du préfet ; "
            "veuillez trouver ci-joint le compte rendu.\n\nCordialement\n\nJulie Bernard\n"
            "Bureau de la politique de la ville\nPréfecture des Landes")
    assert _role("Julie Bernard <julie.bernard@landes.gouv.fr>", body=body) == "prefecture"


def test_the_role_comes_with_a_confidence():
    said = _extraction("Lucas Bernard <lucas.bernard@cantal.gouv.fr>",
                       THANKS + "Cordialement\n\nLucas Bernard | Chargé de mission | DDETS du Cantal")
    unsaid = _extraction("Lucas Bernard <lucas.bernard@cantal.gouv.fr>", THANKS + "Cordialement\n\nLucas Bernard")
    assert said.sender_role == "ddets" and unsaid.sender_role == "prefecture"
    assert 0 < unsaid.confidence["sender_role"] < said.confidence["sender_role"] <= 1


def _extraction(sender: str, body: str):
    return extract(parse_message(message(sender=sender, subject="Contribution bilan", body=body).as_bytes()))
