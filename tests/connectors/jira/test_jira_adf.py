"""Atlassian Document Format to plain text and back."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors.jira.adf import adf_to_text, text_to_adf


def doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def p(*inline: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "type": "paragraph",
        "content": [{"type": "text", "text": n} if isinstance(n, str) else n for n in inline],
    }


def item(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "listItem", "content": list(blocks)}


def test_text_becomes_paragraphs_and_hard_breaks() -> None:
    assert text_to_adf("First line\nsecond line\n\nNext paragraph") == doc(
        p("First line", {"type": "hardBreak"}, "second line"), p("Next paragraph")
    )


def test_empty_text_is_an_empty_document_and_no_text_node_is_empty() -> None:
    assert text_to_adf("") == doc()
    adf = text_to_adf("\n\n\nx\n")
    assert adf == doc(p(), p({"type": "hardBreak"}, "x", {"type": "hardBreak"}))


def test_windows_line_breaks_are_read_as_line_breaks() -> None:
    assert text_to_adf("a\r\nb") == text_to_adf("a\nb")


@given(st.text(alphabet=st.sampled_from(["a", " ", "\n", "-", "*", "1", ".", "é"]), max_size=40))
def test_text_survives_the_round_trip_exactly(text: str) -> None:
    assert adf_to_text(text_to_adf(text)) == text


def test_lists_nested_and_ordered_from_their_start() -> None:
    nested = {"type": "bulletList", "content": [item(p("inner"))]}
    document = doc(
        {"type": "bulletList", "content": [item(p("one"), nested), item(p("two"))]},
        {"type": "orderedList", "attrs": {"order": 3}, "content": [item(p("c")), item(p("d"))]},
    )
    assert adf_to_text(document) == "- one\n  - inner\n- two\n\n3. c\n4. d"


def test_task_list_and_multi_line_items() -> None:
    def task(state: str, text: str) -> dict[str, Any]:
        content = [{"type": "text", "text": text}]
        return {"type": "taskItem", "attrs": {"state": state}, "content": content}

    tasks = {"type": "taskList", "content": [task("DONE", "backup"), task("TODO", "restore")]}
    multi = {"type": "orderedList", "content": [item(p("step", {"type": "hardBreak"}, "more"))]}
    assert adf_to_text(doc(tasks, multi)) == "[x] backup\n[ ] restore\n\n1. step\n   more"


def test_inline_nodes_keep_their_text_and_marks_are_dropped() -> None:
    document = doc(
        p(
            {"type": "text", "text": "bold", "marks": [{"type": "strong"}]},
            " ",
            {
                "type": "text",
                "text": "docs",
                "marks": [{"type": "link", "attrs": {"href": "https://x.example/d"}}],
            },
            " ",
            {
                "type": "text",
                "text": "https://x.example",
                "marks": [{"type": "link", "attrs": {"href": "https://x.example"}}],
            },
            " ",
            {"type": "mention", "attrs": {"id": "abc", "text": "@Beth Anglin"}},
            " ",
            {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
            " ",
            {"type": "inlineCard", "attrs": {"url": "https://acme.atlassian.net/browse/DESK-1"}},
            " ",
            {"type": "date", "attrs": {"timestamp": "1773187200000"}},
            " ",
            {"type": "status", "attrs": {"text": "BLOCKED", "color": "red"}},
        )
    )
    assert adf_to_text(document) == (
        "bold docs (https://x.example/d) https://x.example @Beth Anglin 😄 "
        "https://acme.atlassian.net/browse/DESK-1 2026-03-11 BLOCKED"
    )


def test_other_blocks() -> None:
    table = {
        "type": "table",
        "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "content": [p("host")]},
                {"type": "tableHeader", "content": [p("state")]},
            ]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "content": [p("db-01")]},
                {"type": "tableCell", "content": [p("down")]},
            ]},
        ],
    }  # fmt: skip
    document = doc(
        {"type": "heading", "attrs": {"level": 1}, "content": [{"type": "text", "text": "Title"}]},
        {"type": "blockquote", "content": [p("quoted"), p("twice")]},
        {"type": "rule"},
        {"type": "codeBlock", "content": [{"type": "text", "text": "ls\n-la"}]},
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [p("in a panel")]},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "x"}}]},
        table,
        {"type": "expand", "attrs": {"title": "Details"}, "content": [p("hidden")]},
    )  # fmt: skip
    assert adf_to_text(document) == (
        "Title\n\n> quoted\n>\n> twice\n\n---\n\nls\n-la\n\nin a panel\n\n"
        "host | state\ndb-01 | down\n\nDetails\nhidden"
    )


def test_anything_that_is_not_a_document_reads_as_no_text() -> None:
    values: tuple[object, ...] = (None, "plain", 3, [], {"type": "doc"}, {"content": "x"})
    for value in values:
        assert adf_to_text(value) == ""
    assert adf_to_text(doc({"type": "paragraph", "content": [None, {"type": "text"}]})) == ""
