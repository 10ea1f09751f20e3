"""Fetch the files of the GraphiQL page the gateway serves, and their licences, from npm.

Run from the repository root after changing a version below (or after a strawberry upgrade
that moved its GraphiQL page to new versions)::

    .venv/bin/python graph/graphiql/update.py

Each package is fetched with ``npm pack <name>@<version>`` (npm checks the tarball against the
registry's integrity hash). Every file taken must also match the Subresource Integrity hash that
strawberry's own GraphiQL page (``strawberry/static/graphiql.html``) pins for the same CDN URL, so
what is checked in is, byte for byte, what strawberry's page would load from the CDN. When
strawberry names other versions the script stops and says so: change the tables, compare
``page.html`` with strawberry's page, and run it again. It rewrites ``assets/``, ``licenses/`` and
``SOURCES`` and touches nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import strawberry

HERE = Path(__file__).resolve().parent
STRAWBERRY_PAGE = Path(strawberry.__file__).parent / "static" / "graphiql.html"
CDN = "https://unpkg.com"


@dataclass(frozen=True)
class Vendored:
    """One file of a package, served as ``assets/<name>``."""

    package: str
    version: str
    path: str  # inside the package
    name: str

    @property
    def cdn_url(self) -> str:
        return f"{CDN}/{self.package}@{self.version}/{self.path}"


@dataclass(frozen=True)
class Licence:
    """The LICENSE of ``package``; ``text_from`` names the package whose LICENSE file holds the
    text when ``package`` ships none, and ``note`` says why a licence is here."""

    package: str
    version: str
    text_from: tuple[str, str] | None = None
    note: str = ""

    @property
    def file_name(self) -> str:
        return self.package.removeprefix("@").replace("/", "-") + ".LICENSE"


# What strawberry's page loads, less js-cookie (the page used it only for Django's CSRF cookie).
FILES = (
    Vendored("react", "18.2.0", "umd/react.production.min.js", "react.production.min.js"),
    Vendored(
        "react-dom", "18.2.0", "umd/react-dom.production.min.js", "react-dom.production.min.js"
    ),
    Vendored("graphiql", "3.8.3", "graphiql.min.js", "graphiql.min.js"),
    Vendored("graphiql", "3.8.3", "graphiql.min.css", "graphiql.min.css"),
    Vendored("@graphiql/plugin-explorer", "1.0.2", "dist/index.umd.js", "plugin-explorer.umd.js"),
    Vendored("@graphiql/plugin-explorer", "1.0.2", "dist/style.css", "plugin-explorer.css"),
)

LICENCES = (
    Licence("react", "18.2.0"),
    Licence("react-dom", "18.2.0"),
    Licence("graphiql", "3.8.3"),
    Licence(
        "@graphiql/plugin-explorer",
        "1.0.2",
        text_from=("graphiql", "3.8.3"),
        note="@graphiql/plugin-explorer@1.0.2 ships no LICENSE file; its package.json declares "
        "MIT.\nBelow is the MIT licence of the graphiql monorepo it is published from, as "
        "shipped in graphiql@3.8.3.",
    ),
    Licence(
        "graphiql-explorer",
        "0.9.0",
        note="graphiql-explorer@0.9.0 is bundled inside plugin-explorer.umd.js (a dependency "
        "of @graphiql/plugin-explorer).",
    ),
)


def pinned_hashes() -> dict[str, str]:
    """CDN URL -> ``sha384-...``, as pinned in strawberry's GraphiQL page."""
    html = STRAWBERRY_PAGE.read_text(encoding="utf-8")
    return dict(re.findall(r'(?:src|href)="([^"]+)"\s+integrity="([^"]+)"', html))


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def npm_pack(package: str, version: str, into: Path) -> Path:
    out = subprocess.run(  # noqa: S603 - fixed arguments, names from the tables above
        ["npm", "pack", "--json", "--pack-destination", str(into), f"{package}@{version}"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return into / json.loads(out.stdout)[0]["filename"]


def member(tarball: Path, path: str) -> bytes:
    with tarfile.open(tarball) as archive:
        extracted = archive.extractfile(f"package/{path}")
        if extracted is None:
            raise SystemExit(f"{tarball.name} has no file package/{path}")
        return extracted.read()


def main() -> int:
    pinned = pinned_hashes()
    if stale := [f.cdn_url for f in FILES if f.cdn_url not in pinned]:
        print(f"strawberry's page ({STRAWBERRY_PAGE}) no longer loads:", *stale, sep="\n  ")
        print("It loads:", *pinned, sep="\n  ")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        wanted = {(f.package, f.version) for f in FILES}
        wanted |= {licence.text_from or (licence.package, licence.version) for licence in LICENCES}
        tarballs = {
            (name, version): npm_pack(name, version, Path(scratch)) for name, version in wanted
        }
        files = {f: member(tarballs[f.package, f.version], f.path) for f in FILES}
        texts = {
            licence: member(
                tarballs[licence.text_from or (licence.package, licence.version)], "LICENSE"
            )
            for licence in LICENCES
        }
    for f, data in files.items():
        if sri(data) != pinned[f.cdn_url]:
            print(f"{f.cdn_url}: {sri(data)} from npm, {pinned[f.cdn_url]} in strawberry's page")
            return 1
    for folder in ("assets", "licenses"):
        shutil.rmtree(HERE / folder, ignore_errors=True)
        (HERE / folder).mkdir()
    for f, data in files.items():
        (HERE / "assets" / f.name).write_bytes(data)
    for licence, text in texts.items():
        note = f"{licence.note}\n\n".encode() if licence.note else b""
        (HERE / "licenses" / licence.file_name).write_bytes(note + text)
    sources = [f"{f.name}  {f.package}@{f.version}  {f.path}  {sri(d)}" for f, d in files.items()]
    (HERE / "SOURCES").write_text("\n".join(sources) + "\n", encoding="utf-8")
    print(*sources, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
