"""Plain text and HTML bodies, turned into blocks rather than one flat string."""

from __future__ import annotations

import html as html_entities
import re

from bs4 import BeautifulSoup

from bilan.parsers.charset import decode_text
from bilan.parsers.document import Block, BlockKind, Document, Provenance
from bilan.parsers.hyphenation import SOFT_HYPHEN
from bilan.parsers.limits import Limits
from bilan.parsers.listmarkers import LIST_LINE

#: A bullet, a dash or an enumerator that opens a list item ("- ", "• ", "1. ", "a) ").
LIST_MARKER = LIST_LINE
_LIST_MARKER = LIST_MARKER


def paragraphs_to_blocks(text: str, provenance: Provenance) -> list[Block]:
    """Split text into paragraphs on blank lines; lines that start with a list
    marker become list items. Line breaks inside a paragraph are kept as
    spaces, except after a soft hyphen, where the word goes on."""
    blocks: list[Block] = []
    text = _SOFT_HYPHEN_AT_LINE_END.sub("", text).replace(SOFT_HYPHEN, "")
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        paragraph: list[str] = []
        for line in lines:
            if _LIST_MARKER.match(line):
                if paragraph:
                    blocks.append(_paragraph(paragraph, provenance, len(blocks)))
                    paragraph = []
                level = 1 + (len(line) - len(line.lstrip())) // 2
                blocks.append(
                    Block(BlockKind.LIST_ITEM, _at(provenance, len(blocks)), text=line.strip(), level=level)
                )
            elif blocks and blocks[-1].kind is BlockKind.LIST_ITEM and not paragraph and line.startswith(" "):
                blocks[-1].text += " " + line.strip()  # continuation of a wrapped list item
            else:
                paragraph.append(line.strip())
        if paragraph:
            blocks.append(_paragraph(paragraph, provenance, len(blocks)))
    return blocks


_SOFT_HYPHEN_AT_LINE_END = re.compile(SOFT_HYPHEN + r"[ \t]*\r?\n[ \t]*")
#: A soft hyphen written as an entity: only says where a word may be cut.
_SOFT_HYPHEN_ENTITY = re.compile(r"&(?:shy|#173|#x0*ad);", re.IGNORECASE)


def _at(provenance: Provenance, index: int) -> Provenance:
    if provenance.page is not None or provenance.sheet is not None:
        return provenance
    return Provenance(file=provenance.file, paragraph=index, ocr=provenance.ocr)


def _paragraph(lines: list[str], provenance: Provenance, index: int) -> Block:
    return Block(BlockKind.PARAGRAPH, _at(provenance, index), text=" ".join(lines))


def parse_text(data: bytes, filename: str, charset: str | None = None, max_chars: int | None = None) -> Document:
    """Plain text as paragraphs; beyond `max_chars` characters (if given) it is
    cut, before it is split, and the document's `reason` says so."""
    text, reason = _cut_text(decode_text(data, charset), max_chars)
    return Document(blocks=paragraphs_to_blocks(text, Provenance(file=filename)), reason=reason)


def _cut_text(text: str, max_chars: int | None) -> tuple[str, str | None]:
    if max_chars is None or len(text) <= max_chars:
        return text, None
    return text[:max_chars], f"text of {len(text):,} characters: cut to the limit of {max_chars:,}"


_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def parse_html(
    data: bytes | str,
    filename: str,
    charset: str | None = None,
    limits: Limits = Limits(),
    max_chars: int | None = None,
) -> Document:
    """HTML as headings, paragraphs, list items and tables; within `limits`
    (size and depth, see `html_over_limits`) or else as plain text, and cut
    to `max_chars` characters of text when given."""
    html = data if isinstance(data, str) else decode_text(data, charset)
    html = _SOFT_HYPHEN_ENTITY.sub("", html).replace(SOFT_HYPHEN, "")
    over = html_over_limits(html, limits)
    if over is not None:
        document = html_as_text(html[: limits.max_html_chars], filename, max_chars)
        document.reason = "; ".join(filter(None, [over, document.reason]))
        return document
    document = _parse_html_structure(html, filename)
    if max_chars is not None and len(document.text) > max_chars:
        kept, used = [], 0
        for block in document.blocks:
            if used >= max_chars:
                break
            kept.append(block)
            used += len(block.text)
        document.blocks = kept
        document.reason = f"text of {len(document.text):,} characters and more: cut to the limit of {max_chars:,}"
    return document


#: Elements that nest (and that HTML writers close): their depth is what
#: makes BeautifulSoup and the table walk below slow.
_CONTAINER_TAG = re.compile(r"<(/?)(?:table|div|blockquote|ul|ol)\b", re.IGNORECASE)


def html_over_limits(html: str, limits: Limits) -> str | None:
    """Why `html` is not to be parsed as a tree (too large, or nested too
    deep), in a sentence; None when it may be. One regular-expression pass."""
    if len(html) > limits.max_html_chars:
        return (f"HTML of {len(html):,} characters: over the limit of {limits.max_html_chars:,}, "
                f"its first {limits.max_html_chars:,} read as plain text")  # fmt: skip
    depth = deepest = 0
    for match in _CONTAINER_TAG.finditer(html):
        depth = max(depth - 1, 0) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    if deepest > limits.max_html_depth:
        return f"HTML nested {deepest:,} deep: over the limit of {limits.max_html_depth}, read as plain text"
    return None


_INVISIBLE_START = re.compile(r"<(script|style|head|title)\b", re.IGNORECASE)
_LINE_BREAKING = re.compile(r"<(?:br|/?p|/?div|/?tr|/?li|/?h[1-6]|/?table|/?blockquote)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def html_as_text(html: str, filename: str, max_chars: int | None = None) -> Document:
    """The text of HTML without building its tree: tags removed, lines kept
    where elements break them. Linear in the size, whatever the nesting."""
    text = _without_invisible(html)
    text = _LINE_BREAKING.sub("\n", text)
    text = html_entities.unescape(_TAG.sub(" ", text))
    text = re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n\n", re.sub(r"[ \t]+", " ", text))
    text, reason = _cut_text(text, max_chars)
    return Document(blocks=paragraphs_to_blocks(text, Provenance(file=filename)), reason=reason)


def _without_invisible(html: str) -> str:
    """`html` without its script, style, head and title elements (an unclosed
    one runs to the end), in one pass: a lazy regular expression would go
    back over the text once per unclosed element."""
    kept: list[str] = []
    lowered = html.lower()
    position = 0
    while (match := _INVISIBLE_START.search(html, position)) is not None:
        kept.append(html[position : match.start()])
        end = lowered.find(f"</{match.group(1).lower()}", match.end())
        if end < 0:
            return " ".join(kept)
        position = lowered.find(">", end)
        position = len(html) if position < 0 else position + 1
        kept.append(" ")
    kept.append(html[position:])
    return "".join(kept)


_BLOCK_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "div"]
_CONTAINED = ["p", "div", "li", "table", "h1", "h2", "h3"]


def _wrap_loose_text(soup: BeautifulSoup, body) -> None:
    """Text outside any block (a signature in a bare <font> after a <p>
    that a sloppy writer closed early, text beside the paragraphs of a <div>)
    is put in a paragraph of its own, where it stands, so that it is read."""
    from bs4 import Comment, NavigableString, Tag

    for string in body.find_all(string=True):
        if isinstance(string, Comment) or not string.strip():
            continue
        holder = string.find_parent(_BLOCK_TAGS)
        if holder is not None and not (holder.name == "div" and holder.find(_CONTAINED)):
            continue  # read with its block
        top = string
        while top.parent is not None and top.parent is not body and top.parent is not holder:
            top = top.parent
        if top.parent is None:
            continue
        previous = top.previous_sibling
        while isinstance(previous, NavigableString) and not previous.strip():
            previous = previous.previous_sibling
        if isinstance(previous, Tag) and previous.name == "p" and previous.get("data-loose"):
            previous.append(top.extract())  # the same run of loose text: one paragraph
        else:
            top.wrap(soup.new_tag("p", attrs={"data-loose": "1"}))


def _parse_html_structure(html: str, filename: str) -> Document:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks: list[Block] = []
    body = soup.body or soup
    _wrap_loose_text(soup, body)

    def provenance() -> Provenance:
        return Provenance(file=filename, paragraph=len(blocks))

    for element in body.find_all(_BLOCK_TAGS):
        if element.name == "table":
            if element.find_parent("table") is None:
                rows = [
                    [_cell_text(cell) for cell in tr.find_all(["td", "th"])]
                    for tr in element.find_all("tr")
                ]
                blocks.append(Block.table([r for r in rows if r], provenance()))
            continue
        if element.find_parent("table") is not None:
            continue
        if element.name == "div" and element.find(["p", "div", "li", "table", "h1", "h2", "h3"]):
            continue  # a container; its children are visited on their own
        text = " ".join(element.get_text(" ").split())
        if not text:
            continue
        if element.name in ("p", "div") and "\n" in element.get_text().strip():
            # Lines separated by <br>: may hold a list typed by hand ("- ...").
            for block in paragraphs_to_blocks(element.get_text(), provenance()):
                blocks.append(block)
            continue
        if element.name in _HEADINGS:
            blocks.append(Block(BlockKind.HEADING, provenance(), text=text, level=_HEADINGS[element.name]))
        elif element.name == "li":
            level = len(element.find_parents(["ul", "ol"]))
            blocks.append(Block(BlockKind.LIST_ITEM, provenance(), text=text, level=max(level, 1)))
        elif element.find_parent("li") is None:
            blocks.append(Block(BlockKind.PARAGRAPH, provenance(), text=text))
    if not blocks:
        text = soup.get_text("\n")
        blocks = paragraphs_to_blocks(text, Provenance(file=filename))
    return Document(blocks=blocks)


def _cell_text(cell) -> str | None:
    text = " ".join(cell.get_text(" ").split())
    return text or None
