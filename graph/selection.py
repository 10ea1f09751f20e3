"""The GraphQL selection set is the field set: what the client selects is what gets fetched."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def selected_names(selections: Iterable[Selection]) -> list[str]:
    """The top-level field names under a field, through fragments, honouring @skip/@include."""
    names: list[str] = []
    for selection in selections:
        if not _included(selection.directives):
            continue
        if isinstance(selection, SelectedField):
            if not selection.name.startswith("__"):
                names.append(selection.name)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            names.extend(selected_names(selection.selections))
    return names


def _included(directives: dict[str, dict[str, object]]) -> bool:
    if "skip" in directives and directives["skip"].get("if") is True:
        return False
    return not ("include" in directives and directives["include"].get("if") is False)
