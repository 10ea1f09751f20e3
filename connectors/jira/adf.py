"""Atlassian Document Format to plain text and back: pure functions.

Jira's v3 API carries rich text (``description``, comment bodies) as ADF documents
(https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/); the gateway's
canonical ticket carries plain text.

Text to ADF: each block between blank lines (``\\n\\n``) becomes a paragraph and each other line
break a ``hardBreak``. Nothing else is inferred (a line starting with ``- `` stays text, not a
list item), so text -> ADF -> text gives back exactly the text written (``\\r\\n`` read as
``\\n``).

ADF to text keeps the words and the layout that plain text can carry:

- paragraphs and other blocks are separated by a blank line; ``hardBreak`` is a line break;
- bullet lists as ``- item``, ordered lists as ``1. item`` (from the list's ``order``), task
  lists as ``[ ] item`` / ``[x] item``; nested lists and an item's further lines indented;
- headings as their text; code blocks as their text; quotes with ``> ``; a rule as ``---``;
  tables one row per line, cells separated by `` | ``; panels and expands as their content;
- mentions as their text (``@Fred Luddy``), emoji as their text or short name, dates as
  ``YYYY-MM-DD`` (UTC), status lozenges as their text, inline and block cards as their URL, a
  link as ``text (url)`` when the text is not the URL itself.

What is lost: every mark (bold, italics, code, colour, underline, strike), heading levels,
code-block languages, panel types, table headers and merged cells, and media (images and
attachments are left out), extensions and placeholders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any


def text_to_adf(text: str) -> dict[str, Any]:
    """A document for ``text``; the empty text is a document with no content."""
    text = text.replace("\r\n", "\n")
    content = [_paragraph(block) for block in text.split("\n\n")] if text else []
    return {"type": "doc", "version": 1, "content": content}


def _paragraph(block: str) -> dict[str, Any]:
    inline: list[dict[str, Any]] = []
    for index, line in enumerate(block.split("\n")):
        if index:
            inline.append({"type": "hardBreak"})
        if line:  # ADF text nodes must not be empty
            inline.append({"type": "text", "text": line})
    return {"type": "paragraph", "content": inline}


def adf_to_text(document: object) -> str:
    """The plain text of a document (see the module docstring); ``""`` for anything that is not
    one, so that a malformed value never breaks a whole answer."""
    if not isinstance(document, Mapping):
        return ""
    return _blocks(document.get("content"), "\n\n")


def _blocks(nodes: object, separator: str) -> str:
    texts = (_block(node) for node in _nodes(nodes))
    return separator.join(text for text in texts if text is not None)


def _attrs(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """A node's ``attrs``, empty when it has none (or something else than an object)."""
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, Mapping) else {}


def _nodes(nodes: object) -> Iterable[Mapping[str, Any]]:
    if not isinstance(nodes, list):
        return ()
    return (node for node in nodes if isinstance(node, Mapping))


def _block(node: Mapping[str, Any]) -> str | None:
    """A block's text, ``None`` for a block that has no text form (media, extensions)."""
    kind = node.get("type")
    content = node.get("content")
    attrs = _attrs(node)
    match kind:
        case "paragraph" | "heading" | "codeBlock":
            return _inline(content)
        case "bulletList" | "orderedList" | "taskList" | "decisionList":
            return _list(kind, content, attrs)
        case "blockquote":
            return "\n".join(
                f"> {line}" if line else ">" for line in _blocks(content, "\n\n").split("\n")
            )
        case "rule":
            return "---"
        case "table":
            return "\n".join(_row(row) for row in _nodes(content))
        case "expand" | "nestedExpand":
            title = str(attrs.get("title") or "")
            body = _blocks(content, "\n\n")
            return f"{title}\n{body}" if title else body
        case "blockCard" | "embedCard":
            return str(attrs.get("url") or "")
        case "mediaSingle" | "mediaGroup" | "media" | "extension" | "bodiedExtension":
            return None
        case _:  # panel, layouts and anything newer: its content
            return _blocks(content, "\n\n") if isinstance(content, list) else _inline(content)


def _list(kind: str, items: object, attrs: Mapping[str, Any]) -> str:
    order = attrs.get("order")
    start = order if isinstance(order, int) else 1
    lines: list[str] = []
    for number, item in enumerate(_nodes(items), start=start):
        if kind == "orderedList":
            marker = f"{number}. "
        elif kind == "taskList":
            done = isinstance(item.get("attrs"), Mapping) and item["attrs"].get("state") == "DONE"
            marker = "[x] " if done else "[ ] "
        else:
            marker = "- "
        content = item.get("content")
        # Task and decision items hold inline nodes; list items hold blocks.
        inline = item.get("type") in ("taskItem", "decisionItem")
        body = _inline(content) if inline else _blocks(content, "\n")
        first, *rest = body.split("\n")
        lines.append(marker + first)
        lines.extend(" " * len(marker) + line if line else "" for line in rest)
    return "\n".join(lines)


def _row(row: Mapping[str, Any]) -> str:
    cells = (
        _blocks(cell.get("content"), " ").replace("\n", " ") for cell in _nodes(row.get("content"))
    )
    return " | ".join(cells)


def _inline(nodes: object) -> str:
    return "".join(_inline_node(node) for node in _nodes(nodes))


def _inline_node(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    attrs = _attrs(node)
    match kind:
        case "text":
            text = str(node.get("text") or "")
            href = _link(node.get("marks"))
            return f"{text} ({href})" if href and href != text else text
        case "hardBreak":
            return "\n"
        case "mention":
            return str(attrs.get("text") or f"@{attrs.get('id', '')}")
        case "emoji":
            return str(attrs.get("text") or attrs.get("shortName") or "")
        case "inlineCard":
            return str(attrs.get("url") or "")
        case "status":
            return str(attrs.get("text") or "")
        case "date":
            return _date(attrs.get("timestamp"))
        case _:
            return _inline(node.get("content"))


def _link(marks: object) -> str | None:
    for mark in _nodes(marks):
        attrs = mark.get("attrs")
        if mark.get("type") == "link" and isinstance(attrs, Mapping) and attrs.get("href"):
            return str(attrs["href"])
    return None


def _date(timestamp: object) -> str:
    """ADF dates are epoch milliseconds, as a string or a number."""
    try:
        moment = datetime.fromtimestamp(int(str(timestamp)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
    return moment.strftime("%Y-%m-%d")
