"""The benchmark harness: figures, ratios, verdicts, percentiles, drain rates and the rendered outputs."""

import json

import pytest

from bench import targets
from bench.plan import make_plan
from bench.report import Figure, Report, format_number, format_ratio, render_markdown
from bench.stats import drain_rate, percentile, rate

MACHINE = {"cores": 2, "cpu_model": "Test CPU", "memory_gib": 4.0, "python": "3.11.9", "platform": "Linux",
           "broker": "Tansu (embedded)", "postgres": "18.0 (embedded)", "packages": {"faust-streaming": "0.15.3"}}


def test_ratio_and_verdict_against_a_ratio_target():
    figure = Figure("timeline", "writer vs naive", "rows/s", 12_000, "naive", 1_000, targets.TIMELINE_VS_NAIVE)
    assert figure.ratio == pytest.approx(12.0)
    assert figure.verdict == "pass"
    assert Figure("timeline", "w", "rows/s", 9_000, "naive", 1_000, targets.TIMELINE_VS_NAIVE).verdict == "MISS"


def test_value_targets_compare_the_value_in_both_directions():
    assert Figure("alert latency", "p99", "ms", 999.0, target=targets.ALERT_P99_MS).verdict == "pass"
    assert Figure("alert latency", "p99", "ms", 1001.0, target=targets.ALERT_P99_MS).verdict == "MISS"
    assert Figure("replay", "r", "check-ins/s", 50_000, target=targets.REPLAY_RATE).verdict == "pass"


def test_missing_numbers_give_no_ratio_and_no_verdict():
    assert Figure("detector", "all rules", "check-ins/s", 10.0, "bare", 0.0).ratio is None
    assert Figure("detector", "all rules", "check-ins/s", None, "bare", 5.0, targets.DETECTOR_VS_BARE).verdict == "n/a"
    assert Figure("ingest", "x", "check-ins/s", 5.0).verdict == "-"


def test_a_skipped_figure_says_why_in_markdown_and_json():
    report = Report(MACHINE, {"quick": True}, started_at="2026-11-26T17:00:00+00:00", duration_s=95)
    report.skip("detector", "all rules vs bare agent", "check-ins/s", "services.detector.cli is not in this checkout yet",
                targets.DETECTOR_VS_BARE)
    markdown = render_markdown(report)
    assert "skipped: services.detector.cli is not in this checkout yet" in markdown
    data = report.as_dict()
    assert data["figures"][0]["verdict"] == "skipped" and data["figures"][0]["value"] is None
    assert data["missed"] == []


def test_report_renders_a_table_row_per_figure_and_json_round_trips():
    report = Report(MACHINE, {"quick": False, "events": 30000}, started_at="2026-11-26T17:00:00+00:00", duration_s=300)
    report.add(Figure("replay", "rapport replay", "check-ins/s", 61_234.5, "parse only", 90_000.0, targets.REPLAY_RATE,
                      note="120,000 check-ins"))
    report.add(Figure("memory", "state per client", "bytes", 1500.0, target=targets.STATE_BYTES_PER_CLIENT))
    markdown = render_markdown(report)
    assert "| replay | rapport replay | 61,234 check-ins/s | parse only | 90,000 check-ins/s | 0.68x | >= 50,000/s | pass |" in markdown
    assert "| memory | state per client | 1,500 bytes | - | - | - | <= 1 KiB/client | MISS |" in markdown
    assert "2 cores (Test CPU)" in markdown and "Python 3.11.9" in markdown and "- replay / rapport replay: 120,000" in markdown
    data = json.loads(json.dumps(report.as_dict()))
    assert data["missed"] == ["memory: state per client"]
    assert data["figures"][0]["ratio"] == pytest.approx(0.6804, abs=1e-4)
    assert data["machine"]["packages"]["faust-streaming"] == "0.15.3"


def test_number_and_ratio_formatting():
    assert format_number(1234567.8, "rows/s") == "1,234,568 rows/s"
    assert format_number(12.345) == "12.3" and format_number(0.5, "ms") == "0.50 ms" and format_number(None) == "-"
    assert format_ratio(None) == "-" and format_ratio(2.5) == "2.50x" and format_ratio(1234) == "1,234x"


def test_percentiles_interpolate_between_ranks():
    values = [10, 20, 30, 40, 50]
    assert percentile(values, 50) == 30
    assert percentile(values, 95) == pytest.approx(48.0)
    assert percentile([7], 99) == 7 and percentile([], 50) is None


def test_rate_needs_time_and_items():
    assert rate(1000, 0.5) == 2000 and rate(0, 1.0) is None and rate(10, 0) is None


def test_drain_rate_counts_from_the_first_commit_to_the_commit_that_reaches_the_total():
    # group joins (0 committed), first commit at t=3 with 1000 done, commits every second at 1000/s
    samples = [(0.0, 0), (1.0, 0), (2.0, 0), (3.0, 1000), (3.5, 1000), (4.0, 2000), (5.0, 3000), (6.0, 4000)]
    assert drain_rate(samples, 4000) == pytest.approx(1000.0)
    assert drain_rate(samples, 5000) is None, "never reached the total"
    assert drain_rate([(0.0, 0), (2.0, 4000)], 4000) is None, "one commit alone cannot time anything"


def test_quick_plan_is_smaller_and_events_override():
    quick, full = make_plan(True), make_plan(False)
    assert quick.events < full.events and quick.alert_seconds < full.alert_seconds
    assert full.background_rate == 500
    assert make_plan(False, events=1000).events == 1000


def test_a_multi_line_reason_stays_in_one_table_cell():
    report = Report(MACHINE, {}, started_at="t")
    report.add(Figure("detector", "stage", "", skipped="failed: detector exited:\n{\"a\": 1} | more"))
    row = [line for line in render_markdown(report).splitlines() if line.startswith("| detector")][0]
    assert row.count("|") == 9 and "\n" not in row


def test_hot_frames_from_collapsed_stacks():
    from bench.profiling import hot_frames

    lines = ["main;parse;validate 6\n", "main;detect 3\n", "main;parse 1\n", "garbage\n"]
    total, inclusive, own = hot_frames(lines)
    assert total == 10
    assert dict(inclusive)["main"] == 1.0 and dict(inclusive)["parse"] == pytest.approx(0.7)
    assert own[0] == ("validate", 0.6)


def test_readme_section_is_replaced_between_markers_only():
    from bench.readme import END, START, replace_section

    readme = f"# Rapport\n\nintro\n\n## Benchmarks\n\nhow to run\n\n{START}\nold table\n{END}\n\n## After\n"
    updated = replace_section(readme, "| new | table |\n", "make bench")
    assert "old table" not in updated and "| new | table |" in updated
    assert updated.startswith("# Rapport\n\nintro\n\n## Benchmarks\n\nhow to run\n\n") and updated.endswith("## After\n")
    assert replace_section("# R\n", "| t |", "make bench").endswith(f"| t |\n{END}\n")
