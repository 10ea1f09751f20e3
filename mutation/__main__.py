"""``python -m mutation [module.py ...]`` (``make mutate``): mutates each covered module, runs
its fast tests against every mutant and prints, per module, the mutants, killed, survived,
excluded (equivalent or message-only, by ``mutation/equivalent.toml``) and the score, then the
surviving mutants. Exit code 1 when a module scores under ``--minimum`` (95 by default), a
baseline run fails or a child errs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mutation import equivalents
from mutation.operators import Mutant, mutants_of
from mutation.runner import Outcome, run_child, warm_up
from mutation.targets import TARGETS, Target, target_for

ROOT = Path(__file__).resolve().parent.parent


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__)
    parser.add_argument("modules", nargs="*", help="module paths (default: every covered one)")
    parser.add_argument("--minimum", type=float, default=95.0, help="lowest score allowed, in %%")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--only", action="append", default=[], help="run only this mutant id")
    return parser.parse_args(argv)


def _run_target(target: Target, mutants: list[Mutant]) -> tuple[dict[str, Outcome], float]:
    path = ROOT / target.path
    warm_up(target.pytest_args)
    baseline = run_child(target.module_name, path, path.read_text("utf-8"), target.pytest_args, 600)
    if baseline.status != "survived":
        raise SystemExit(
            f"{target.path}: its tests fail without any mutant (pytest exit {baseline.exit_code})"
        )
    timeout = max(15.0, baseline.seconds * 4)
    outcomes: dict[str, Outcome] = {}
    for number, mutant in enumerate(mutants, 1):
        outcome = run_child(target.module_name, path, mutant.source, target.pytest_args, timeout)
        outcomes[mutant.id] = outcome
        mark = {"killed": ".", "timeout": "T", "survived": "S", "error": "E"}[outcome.status]
        print(mark, end="" if number % 80 else "\n", flush=True)
    print(flush=True)
    return outcomes, baseline.seconds


def main(argv: list[str] | None = None) -> int:
    options = _parse(sys.argv[1:] if argv is None else argv)
    targets = [target_for(path) for path in options.modules] if options.modules else TARGETS
    listed = equivalents.load()
    failed = False
    summary: list[str] = []
    for target in targets:
        mutants = mutants_of((ROOT / target.path).read_text("utf-8"))
        if options.only:
            mutants = [mutant for mutant in mutants if mutant.id in options.only]
        if options.list:
            for mutant in mutants:
                print(f"{target.path} {mutant.id}  {mutant.description}")
            continue
        print(
            f"{target.path}: {len(mutants)} mutants, tests: {' '.join(target.pytest_args)}",
            flush=True,
        )
        started = time.monotonic()
        outcomes, baseline = _run_target(target, mutants)
        killed = survived = excluded = errors = 0
        for mutant in mutants:
            outcome = outcomes[mutant.id]
            entry = listed.get((target.path, mutant.id))
            if outcome.status == "error":
                errors += 1
                print(
                    f"  ERROR (pytest exit {outcome.exit_code}) {mutant.id}  {mutant.description}"
                )
            elif entry is not None:
                excluded += 1
                if outcome.status != "survived":
                    print(f"  STALE (listed as {entry.kind}, yet killed) {mutant.id}")
            elif outcome.status == "survived":
                survived += 1
                print(f"  SURVIVED {mutant.id}  {mutant.description}")
            else:
                killed += 1
        if not options.only:
            ids = {mutant.id for mutant in mutants}
            for module, mutant_id in listed:
                if module == target.path and mutant_id not in ids:
                    print(f"  STALE (listed, but the module has no such mutant) {mutant_id}")
        meaningful = killed + survived
        score = 100.0 * killed / meaningful if meaningful else 100.0
        failed |= score < options.minimum or errors > 0
        summary.append(
            f"{target.path:<40} {len(mutants):>7} {killed:>6} {survived:>8} {excluded:>8} "
            f"{errors:>6} {score:>6.1f}%  ({time.monotonic() - started:.0f} s, "
            f"tests {baseline:.1f} s)"
        )
    if summary:
        print()
        print(
            f"{'module':<40} {'mutants':>7} {'killed':>6} {'survived':>8} {'excluded':>8} "
            f"{'errors':>6} {'score':>7}"
        )
        print("\n".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
