"""Atlassian Document Format, as far as the emulated site needs it.

The v3 platform API takes and answers rich text (``description``, ``environment``, multi-line
text custom fields, comment bodies) as ADF documents
(https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/): a ``doc`` node
with ``version`` 1 whose ``content`` holds block nodes. The emulator checks the structure (known
node types, non-empty text nodes, lists where lists go) rather than the full JSON schema, and
refuses anything else the way Jira does.

The service desk API takes and answers comment bodies as plain strings. The docs do not say how
Jira turns such a string into the ADF the platform API answers (Jira reads it as wiki markup);
the emulator makes each blank-line-separated block a paragraph and each other line break a
``hardBreak``, and reads ADF back as the same plain text.
"""

from __future__ import annotations

from typing import Any, TypeGuard

NODE_TYPES = frozenset(
    {
        "blockCard", "blockquote", "bodiedExtension", "bulletList", "codeBlock", "date",
        "decisionItem", "decisionList", "emoji", "expand", "extension", "hardBreak", "heading",
        "inlineCard", "inlineExtension", "layoutColumn", "layoutSection", "listItem", "media",
        "mediaGroup", "mediaInline", "mediaSingle", "mention", "nestedExpand", "orderedList",
        "panel", "paragraph", "placeholder", "rule", "status", "table", "tableCell",
        "tableHeader", "tableRow", "taskItem", "taskList", "text",
    }
)  # fmt: skip
NOT_A_DOCUMENT = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


def is_document(value: object) -> TypeGuard[dict[str, Any]]:
    if not isinstance(value, dict) or value.get("type") != "doc" or value.get("version") != 1:
        return False
    content = value.get("content")
    return isinstance(content, list) and all(_is_node(node) for node in content)


def _is_node(node: object) -> bool:
    if not isinstance(node, dict) or node.get("type") not in NODE_TYPES:
        return False
    if node["type"] == "text":
        text = node.get("text")
        if not isinstance(text, str) or not text:
            return False
    marks = node.get("marks", [])
    if not isinstance(marks, list) or not all(isinstance(m, dict) and "type" in m for m in marks):
        return False
    content = node.get("content", [])
    return isinstance(content, list) and all(_is_node(child) for child in content)


def from_text(text: str) -> dict[str, Any]:
    """A plain string as a document: paragraphs at blank lines, hard breaks at other breaks."""
    text = text.replace("\r\n", "\n")
    content = [_paragraph(block) for block in text.split("\n\n")] if text else []
    return {"type": "doc", "version": 1, "content": content}


def _paragraph(block: str) -> dict[str, Any]:
    inline: list[dict[str, Any]] = []
    for index, line in enumerate(block.split("\n")):
        if index:
            inline.append({"type": "hardBreak"})
        if line:
            inline.append({"type": "text", "text": line})
    return {"type": "paragraph", "content": inline}


def to_text(document: object) -> str:
    """Plain text of a document: blocks separated by blank lines, hard breaks as line breaks,
    list items on their own lines. What the service desk API answers as a comment ``body``."""
    if not isinstance(document, dict):
        return ""
    return "\n\n".join(_block_text(block) for block in document.get("content", []))


def _block_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    children = node.get("content", [])
    if kind in ("bulletList", "orderedList"):
        return "\n".join(
            f"{'- ' if kind == 'bulletList' else f'{n}. '}{_block_text(item)}"
            for n, item in enumerate(children, start=1)
        )
    if kind == "listItem":
        return "\n".join(_block_text(child) for child in children)
    if kind in ("paragraph", "heading", "codeBlock"):
        return "".join(_inline_text(child) for child in children)
    return "\n\n".join(_block_text(child) for child in children)


def _inline_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    attrs = node.get("attrs", {})
    return str(attrs.get("text") or attrs.get("url") or "")
