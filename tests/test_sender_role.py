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
