"""Every reference the documents and the code's docstrings and comments make points at something
that exists inside this repository.

Scanned: ``README.md``, ``docs/**/*.md``, ``bench/README.md`` and ``graph/graphiql/README.md``
(their whole text), the docstrings and comments of every ``.py`` file under the product's
packages, ``bench/`` and ``tests/``, and the comments of the build, CI and deployment files.
Four kinds of reference are checked:

- repository paths such as ``gateway/outbound/transport.py``, ``docs/security.md#secrets`` or
  ``connectors/rt/``: the file or folder exists (and, for a page, the heading);
- dotted names that start with one of the project's packages, such as ``gateway.outbound`` or
  ``connectors.servicenow.mapping.COLUMNS``: the longest prefix that is a module is found with
  ``importlib.util.find_spec``, and the rest must be names that module (or a class in it) defines;
- markdown links to relative files and ``#anchors``: the file exists and has that heading (and
  the front page named with a quoted section name must have that heading);
- documents that live outside the repository (the team's former contract file and vendor notes):
  no mention at all, since a clone does not have them.

Not references: URLs, absolute paths (``/etc/...``), placeholders (``tests/<folder>``: only the
part before the placeholder is checked), files the tools write (``tests/artifacts/``,
``bench/results/``), and the few dotted words that are values rather than modules
(``ALLOWED_DOTTED``). Each failure names the file, the line and the reference.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gateway", "graph", "rest_compat", "resolvers", "connectors", "emulators")
PYTHON_FOLDERS = (*PACKAGES, "bench", "tests")
TOP_LEVEL = (*PYTHON_FOLDERS, "docs", "deploy")
# Written by the tools at run time, so absent from a clone (and git-ignored).
GENERATED = ("tests/artifacts/", "bench/results/")
# Dotted words that start like a package but are values: the demo's ServiceNow user name.
ALLOWED_DOTTED = frozenset({"gateway.integration"})
# File suffixes: `connectors.py` would be a file name, not a module path.
_FILE_SUFFIXES = frozenset({"py", "md", "toml", "json", "yaml", "yml", "graphql", "png", "txt"})

_PATH = re.compile(
    r"(?<![\w./:@~-])"  # not inside a URL, an absolute path or a longer word
    rf"(?P<path>(?:{'|'.join(TOP_LEVEL)})/[\w./-]*)"
    r"(?P<anchor>#[\w-]+)?"
    r"(?P<placeholder>[<{*])?"
)
_DOTTED = re.compile(
    rf"(?<![\w./:@-])(?P<name>(?:{'|'.join(PYTHON_FOLDERS)})(?:\.[A-Za-z_]\w*)+)(?![\w-])"
)
# The front page named with a quoted section after it: its heading, or the start of one.
_README_SECTION = re.compile(r'\bREADME\b[,:]?\s+(?:section\s+)?"(?P<section>[^"]+)"')
_LINK = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)\)")
# Built in pieces, so that this file does not mention what it forbids.
_OUTSIDE = re.compile(
    "|".join(
        (
            re.escape("../" + "shared"),
            re.escape("/work/" + "shared"),
            re.escape("SPEC" + ".md"),
            re.escape("shared/" + "notes"),
            r"\b" + "SP" + r"EC\b",  # the contract file named by its section numbers
            r"(?<![\w/.])" + "notes" + r"/[\w-]+\.md",  # the vendor notes beside it
        )
    )
)


@dataclass(frozen=True)
class Text:
    """A piece of prose to scan: where it is, and its lines."""

    path: Path
    first_line: int
    text: str
    markdown: bool

    def lines(self) -> Iterator[tuple[int, str]]:
        for offset, line in enumerate(self.text.splitlines()):
            yield self.first_line + offset, line


# -- what is scanned ------------------------------------------------------------------------------


def markdown_files() -> list[Path]:
    pages = [
        ROOT / "README.md",
        ROOT / "bench" / "README.md",
        ROOT / "graph" / "graphiql" / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
    ]
    return [page for page in pages if page.exists()]


def config_files() -> list[Path]:
    """Files whose ``#`` comments are prose too: the build, CI and deployment files."""
    files = [ROOT / name for name in ("Dockerfile", "Makefile", "pyproject.toml", ".ci/run")]
    files += sorted((ROOT / "deploy").rglob("*.yaml"))
    return [path for path in files if path.exists()]


def python_files() -> list[Path]:
    return sorted(
        path
        for folder in PYTHON_FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if ".venv" not in path.parts and "node_modules" not in path.parts
    )


def prose_of_python(path: Path) -> Iterator[Text]:
    """The docstrings and comments of one Python file."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                yield Text(path, body[0].value.lineno, body[0].value.value, markdown=False)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield Text(path, token.start[0], token.string, markdown=False)


def prose_of_config(path: Path) -> Iterator[Text]:
    """The comments of a Dockerfile, Makefile, TOML, YAML or shell file: a whole line, or what
    follows `` # `` on a line."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("#"):
            yield Text(path, number, stripped, markdown=False)
        elif " # " in line:
            yield Text(path, number, line.split(" # ", 1)[1], markdown=False)


def prose_of_markdown(path: Path) -> Iterator[Text]:
    yield Text(path, 1, path.read_text(encoding="utf-8"), markdown=True)


def all_prose() -> list[Text]:
    texts = [text for page in markdown_files() for text in prose_of_markdown(page)]
    texts += [text for path in python_files() for text in prose_of_python(path)]
    texts += [text for path in config_files() for text in prose_of_config(path)]
    return texts


# -- markdown headings ----------------------------------------------------------------------------


def outside_fences(text: str) -> Iterator[tuple[int, str]]:
    """(line index, line) of the lines not inside a fenced code block."""
    fenced = False
    for index, line in enumerate(text.splitlines()):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield index, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip())
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in outside_fences(page.read_text(encoding="utf-8")):
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


# -- the checks -----------------------------------------------------------------------------------


def check_path(path: str, anchor: str | None, placeholder: str | None) -> str | None:
    """Why ``path`` (relative to the repository) is not a good reference, or None."""
    if placeholder:
        # `connectors/<tool>/connector.py`: only the folder before the placeholder is checked.
        path = path.rsplit("/", 1)[0] + "/"
    path = path.rstrip(".")  # a path that ends a sentence
    if any(path.startswith(generated) for generated in GENERATED):
        return None
    target = ROOT / path
    if not target.exists():
        return "no such file or folder in the repository"
    if anchor and target.suffix == ".md" and anchor[1:] not in anchors(target):
        return f"{path} has no heading for {anchor}"
    return None


def _module_names(module: str) -> tuple[set[str], dict[str, set[str]]]:
    """The names a module defines at its top level, and the names inside each of its classes."""
    spec = importlib.util.find_spec(module)
    assert spec is not None
    if spec.origin is None or not spec.origin.endswith(".py"):
        return set(), {}
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    top: set[str] = set()
    classes: dict[str, set[str]] = {}

    def names_of(statements: list[ast.stmt]) -> set[str]:
        names: set[str] = set()
        for statement in statements:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(statement.name)
            elif isinstance(statement, ast.Assign):
                names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                names.add(statement.target.id)
            elif isinstance(statement, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in statement.names)
            elif isinstance(statement, ast.If | ast.Try):
                names |= names_of(statement.body)
        return names

    top = names_of(tree.body)
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            classes[statement.name] = names_of(statement.body)
    return top, classes


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def check_dotted(name: str) -> str | None:
    """Why the dotted ``name`` is not a module, or a name one defines, or None."""
    if name in ALLOWED_DOTTED:
        return None
    parts = name.split(".")
    if parts[-1] in _FILE_SUFFIXES:
        return None
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if _is_module(module):
            break
    else:
        return "no such module"
    rest = parts[cut:]
    if not rest:
        return None
    top, classes = _module_names(module)
    if rest[0] not in top:
        return f"{module} has no module or name {rest[0]!r}"
    if len(rest) > 1 and rest[0] in classes and rest[1] not in classes[rest[0]]:
        return f"{module}.{rest[0]} has no attribute {rest[1]!r}"
    return None


def check_link(page: Path, target: str) -> str | None:
    """Why a markdown link of ``page`` is broken, or None. URLs are not checked."""
    if re.match(r"[a-z][a-z+.-]*:", target):  # https:, mailto:
        return None
    file_part, _, anchor = target.partition("#")
    destination = (page.parent / file_part).resolve() if file_part else page
    if not destination.exists():
        return "links to a file that does not exist"
    if ROOT not in destination.parents and destination != ROOT:
        return "links outside the repository"
    if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
        return f"{destination.relative_to(ROOT)} has no heading for #{anchor}"
    return None


def problems_in(text: Text) -> Iterator[str]:
    where = text.path.relative_to(ROOT)
    lines = text.lines()
    if text.markdown:
        # Links are checked outside code blocks only: a code example may hold brackets.
        kept = {index for index, _ in outside_fences(text.text)}
        lines = ((number, line) for number, line in lines if number - text.first_line in kept)
    for number, line in lines:
        if text.markdown:
            # A link's target is checked as a link, relative to the page, not as a path.
            targets = [match["target"] for match in _LINK.finditer(line)]
            prose = _LINK.sub("[]()", line)
        else:
            targets, prose = [], line
        for match in _OUTSIDE.finditer(line):
            yield f"{where}:{number}: {match.group(0)!r} points outside the repository"
        for match in _README_SECTION.finditer(line):
            if not any(a.startswith(slug(match["section"])) for a in anchors(ROOT / "README.md")):
                yield f"{where}:{number}: {match.group(0)!r}: README.md has no such section"
        for match in _PATH.finditer(prose):
            reason = check_path(match["path"], match["anchor"], match["placeholder"])
            if reason:
                yield f"{where}:{number}: {match.group(0)!r}: {reason}"
        for match in _DOTTED.finditer(prose):
            reason = check_dotted(match["name"])
            if reason:
                yield f"{where}:{number}: {match['name']!r}: {reason}"
        for target in targets:
            reason = check_link(text.path, target)
            if reason:
                yield f"{where}:{number}: link {target!r}: {reason}"


# -- the tests ------------------------------------------------------------------------------------


def test_every_reference_points_at_something_that_exists() -> None:
    problems = [problem for text in all_prose() for problem in problems_in(text)]
    assert not problems, "broken references:\n" + "\n".join(problems)


def test_the_scan_covers_the_documents_and_the_code() -> None:
    pages = {str(page.relative_to(ROOT)) for page in markdown_files()}
    assert {"README.md", "bench/README.md", "docs/contract.md", "docs/security.md"} <= pages
    scanned = {path.relative_to(ROOT).parts[0] for path in python_files()}
    assert set(PYTHON_FOLDERS) <= scanned


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("### connectionDetails", "connectiondetails"),
        (
            "## Descriptions and comments: ADF and plain text",
            "descriptions-and-comments-adf-and-plain-text",
        ),
        (
            "## What RT does silently, and what the gateway does",
            "what-rt-does-silently-and-what-the-gateway-does",
        ),
        ("## `ticketJSON` and `TicketInput`", "ticketjson-and-ticketinput"),
    ],
)
def test_anchors_follow_githubs_rule(heading: str, anchor: str) -> None:
    assert slug(heading.lstrip("#").strip()) == anchor


def problems_of(text: str, *, markdown: bool, path: str = "docs/contract.md") -> list[str]:
    return list(problems_in(Text(ROOT / path, 1, text, markdown=markdown)))


def test_a_missing_module_file_page_or_anchor_is_reported_with_file_and_line() -> None:
    text = (
        "fine: gateway/app.py, connectors.servicenow.mapping.COLUMNS, [errors](#errors)\n"
        "gone: gateway/nowhere.py and graph.tickets and connectors.fields.NoSuchField\n"
        "and [a page](missing.md) and [an anchor](security.md#no-such-heading)\n"
    )
    problems = problems_of(text, markdown=True)
    assert len(problems) == 5, problems
    assert all(problem.startswith("docs/contract.md:") for problem in problems)
    assert sum(":2:" in problem for problem in problems) == 3
    assert sum(":3:" in problem for problem in problems) == 2
    assert any("'graph.tickets'" in problem for problem in problems)


def test_urls_absolute_paths_placeholders_and_values_are_not_references() -> None:
    text = (
        "https://docs.servicenow.com/bundle/x/page.html, https://example.com/tests/x.py,\n"
        "/etc/itsm-gateway/settings.toml, `tests/<folder>`, `connectors/<tool>/connector.py`,\n"
        "user `gateway.integration`, `tests/artifacts/graphiql.png`,\n"
        "`bench/results/load-<date>.md`,\n"
        "a file named connectors.py, and `python -m bench.load --quick`.\n"
    )
    assert problems_of(text, markdown=True) == []


def test_documents_outside_the_repository_are_refused() -> None:
    forbidden = [
        "../" + "shared/x.md",
        "/work/" + "shared/notes/rt.md",
        "SP" + "EC section 4",
        "``" + "notes/servicenow.md``",
    ]
    for mention in forbidden:
        assert problems_of(f"see {mention}", markdown=False), mention


def test_a_front_page_section_that_is_gone_is_reported() -> None:
    assert problems_of('how to (README, "Two commands")', markdown=False) == []
    forbidden = ['(README, "Deploying")', 'the README "Benchmarks" section']
    for mention in forbidden:
        assert problems_of(f"see {mention}", markdown=False), mention
