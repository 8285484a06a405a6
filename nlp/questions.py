"""Does a text ask something? Whatever its words: a question is recognised
by its grammar — a question mark, subject-verb inversion ("peut-il",
"pouvez-vous", "a-t-on"), "est-ce que", an interrogative word opening the
sentence, or an indirect question after a wish or a thanks ("je
souhaiterais savoir si", "merci de nous indiquer") — read with spaCy's
tokens, parts of speech, morphology and dependencies."""

from __future__ import annotations

import re

from spacy.tokens import Span

from bilan.nlp.mailtext import is_closing, is_signature_line, sender_lines
from bilan.nlp.text import fold

#: Subject pronouns that follow the verb in an inverted question.
INVERTED_SUBJECTS = {"je", "tu", "il", "elle", "on", "ils", "elles", "nous", "vous", "ce"}
#: Interrogative words that can open a question without inversion ("Quelle est la date ?", "Où envoyer l'annexe ?").
INTERROGATIVES = {"quel", "quelle", "quels", "quelles", "lequel", "laquelle", "lesquels", "lesquelles", "comment",
                  "pourquoi", "combien", "quand", "ou", "qui", "que", "quoi"}
#: Verbs that ask for information when the writer wishes or thanks for it.
ASKING_VERBS = {"savoir", "demander", "indiquer", "preciser", "confirmer", "connaitre", "renseigner", "eclairer",
                "dire"}
#: Latin "quid", as French uses it ("Quid de l'annexe 3 ?"): "what about", with or without a question mark.
QUID = "quid"
#: Verbs that, reflexive in the first person, say the writer wonders ("je me
#: demande si…", "nous nous interrogeons sur…").
WONDERING_VERBS = {"demander", "interroger", "questionner"}
#: What introduces an indirect request: a wish, a thanks, a polite imperative.
REQUESTING = {"vouloir", "souhaiter", "aimer", "desirer", "permettre", "pouvoir", "merci", "remercier", "besoin"}
#: A question answered on its line ("Depuis quand êtes-vous membre ? : 2016"): a form filled in, not a request.
_ANSWERED = re.compile(r"\?\s*[:\-–—]\s*\S")
_GREETING = re.compile(r"^(bonjour|bonsoir|madame|monsieur|mesdames|messieurs|cher|chere|chers|cheres|hello|salut)\b")


def prose_of(own: str) -> str:
    """The sender's sentences: their own text without greeting, closing
    formula, signature and client footers."""
    lines = sender_lines(own)
    for index in range(len(lines) - 1, -1, -1):
        if is_closing(lines[index]):
            lines = lines[:index]
            break
    while lines and is_signature_line(lines[-1]) and not _asks_on_its_own(lines[-1]):
        lines.pop()
    kept = [_without_greeting(line) for line in lines if not _ANSWERED.search(line)]
    return "\n".join(line for line in kept if line)


def _without_greeting(line: str) -> str:
    """"Bonjour, la réunion a-t-elle…" -> "la réunion a-t-elle…"; "Madame, Monsieur," -> ""."""
    if not _GREETING.match(fold(line)):
        return line
    if len(line) < 40 and "," not in line.rstrip(" ,"):
        return ""
    head, _, rest = line.partition(",")
    while rest and _GREETING.match(fold(rest.strip())) and len(head) < 40:
        head, _, rest = rest.partition(",")
    return rest.strip() if len(head) < 40 else line


def questions_in(text: str) -> list[str]:
    """The sentences of `text` that ask."""
    from bilan.nlp.pipeline import get_nlp

    # Sentences (parser), parts of speech and morphology; entities are not read.
    doc = get_nlp()(text, disable=["ner"])
    return [sentence.text for sentence in doc.sents if is_question(sentence)]


def is_question(sentence: Span) -> bool:
    if "?" in sentence.text:
        return True
    tokens = [token for token in sentence if not token.is_space]
    return (_inverted(tokens) or _opens_with_interrogative(tokens) or _indirect_request(tokens)
            or _wondering(tokens))


def _inverted(tokens) -> bool:
    """A verb followed by its subject pronoun ("peut-il", "pouvez-vous",
    "a-t-on", "est-ce que"); "envoyez-nous" is an imperative: the pronoun
    there is not the verb's person."""
    for index, token in enumerate(tokens[1:], start=1):
        text = token.lower_
        if not text.startswith("-"):
            continue
        pronoun = text.lstrip("-").removeprefix("t-")
        if pronoun not in INVERTED_SUBJECTS:
            continue
        verb = tokens[index - 1]
        if verb.lower_ in ("-t", "t") and index >= 2:
            verb = tokens[index - 2]
        if not verb.is_alpha:
            continue
        if pronoun == "ce":
            return verb.lower_ == "est"
        person = verb.morph.get("Person")
        if pronoun == "nous" and person != ["1"]:
            continue
        if pronoun == "vous" and person != ["2"]:
            continue
        return True
    return False


def _opens_with_interrogative(tokens) -> bool:
    """"Quelle est la date limite", "Où envoyer l'annexe", "À qui adresser le compte rendu"."""
    words = [token for token in tokens if token.is_alpha]
    if words and fold(words[0].text) in ("a", "de", "pour", "par") and len(words) > 1:
        words = words[1:]
    if len(words) >= 2 and fold(words[0].text) == QUID:
        return True
    if len(words) < 2 or fold(words[0].text) not in INTERROGATIVES or fold(words[0].text) in ("que", "qui", "quand"):
        return False
    follower = words[1]
    return follower.pos_ in ("AUX", "VERB") and (
        "Inf" in follower.morph.get("VerbForm") or "Fin" in follower.morph.get("VerbForm")
    )


def _indirect_request(tokens) -> bool:
    """"Je souhaiterais savoir si…", "Merci de nous indiquer…", "Je vous
    remercie de bien vouloir me préciser…": a verb of asking, in the
    infinitive, under a wish or a thanks, not followed by a "que" that
    would make it a statement ("je souhaite vous indiquer que…")."""
    for index, token in enumerate(tokens):
        if fold(token.lemma_) not in ASKING_VERBS or "Inf" not in token.morph.get("VerbForm"):
            continue
        before = {fold(t.lemma_) for t in tokens[:index]} | {fold(t.lower_) for t in tokens[:index]}
        if not before & REQUESTING:
            continue
        after = [fold(t.lower_) for t in tokens[index + 1 :]]
        first_marker = next((w for w in after if w in ("que", "qu") or w in ("si", "s") or w in INTERROGATIVES), None)
        if first_marker in ("que", "qu"):
            continue
        return True
    return False


def _wondering(tokens) -> bool:
    """The writer wonders, in the first person: a finite verb of asking made
    reflexive ("nous nous interrogeons sur…", "on se demande si…"). The
    lemmatizer reads some first persons of these verbs as their noun
    ("demande"), so the verb's infinitive is tried from it too."""
    for token in tokens:
        if token.pos_ != "VERB" or "Fin" not in token.morph.get("VerbForm"):
            continue
        lemma = fold(token.lemma_)
        if lemma not in WONDERING_VERBS and f"{lemma}r" not in WONDERING_VERBS:
            continue
        children = list(token.children)
        if not any("Yes" in child.morph.get("Reflex") for child in children):
            continue
        if token.morph.get("Person") == ["1"] or any(child.lower_ == "on" for child in children):
            return True
    return False


def _asks_on_its_own(line: str) -> bool:
    return line.rstrip().endswith("?")
