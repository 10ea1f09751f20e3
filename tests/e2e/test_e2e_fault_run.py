"""The fault-injection run (bench/fault_run.py) as a test: a few hundred creates and updates
through the gateway while the emulator throttles, fails and drops connections after writing.
Nothing may be duplicated, applied twice, lost, or said failed yet applied; and a keyed create's
lost answer is settled by looking the ticket up by its correlation id."""

from __future__ import annotations

from bench.fault_run import BROKEN, run


async def test_faults_never_duplicate_lose_or_misreport_a_write() -> None:
    report = await run(creates=200, updates=100, seed=11)
    print("\n" + report.table())  # shown with -s, and in the failure report below
    counts = {**report.creates, **{f"update {k}": v for k, v in report.updates.items()}}
    assert report.creates["sent"] == 200 and report.updates["sent"] == 100
    for outcome in BROKEN:
        assert report.creates[outcome] == 0, report.table()
        assert report.updates[outcome] == 0, report.table()
    # A run in which nothing went wrong proves nothing: every kind of fault happened, and the
    # gateway still delivered most writes.
    assert min(report.faults[k] for k in ("drop", "failure", "throttle")) > 0, report.table()
    assert report.creates["succeeded"] > 100 and report.updates["succeeded"] > 50, counts
    # Keyed creates whose answer was lost are looked up by their correlation id: the outcome
    # stays unknown only where the look-up failed too (each is retried like any read), so
    # nearly never (0 of 24 in a run of this size; 21 stayed unknown without the look-up).
    assert report.look_ups > 0, report.table()
    assert report.unknown_creates <= report.look_ups // 4, report.table()
