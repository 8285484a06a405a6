"""Plain text and HTML bodies, turned into blocks rather than one flat string."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from bilan.parsers.document import Block, BlockKind, Document, Provenance
from bilan.parsers.listmarkers import LIST_LINE

#: A bullet, a dash or an enumerator that opens a list item ("- ", "• ", "1. ", "a) ").
LIST_MARKER = LIST_LINE
_LIST_MARKER = LIST_MARKER


def paragraphs_to_blocks(text: str, provenance: Provenance) -> list[Block]:
    """Split text into paragraphs on blank lines; lines that start with a list
    marker become list items. Line breaks inside a paragraph are kept as spaces."""
    blocks: list[Block] = []
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


def _at(provenance: Provenance, index: int) -> Provenance:
    if provenance.page is not None or provenance.sheet is not None:
        return provenance
    return Provenance(file=provenance.file, paragraph=index, ocr=provenance.ocr)


def _paragraph(lines: list[str], provenance: Provenance, index: int) -> Block:
    return Block(BlockKind.PARAGRAPH, _at(provenance, index), text=" ".join(lines))


def parse_text(data: bytes, filename: str, charset: str | None = None) -> Document:
    return Document(blocks=paragraphs_to_blocks(decode_text(data, charset), Provenance(file=filename)))


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, then UTF-8, then Windows-1252 (never fails)."""
    for encoding in (charset, "utf-8", "cp1252"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def parse_html(data: bytes | str, filename: str, charset: str | None = None) -> Document:
    html = data if isinstance(data, str) else decode_text(data, charset)
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    blocks: list[Block] = []
    body = soup.body or soup

    def provenance() -> Provenance:
        return Provenance(file=filename, paragraph=len(blocks))

    for element in body.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "div"]):
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
