"""Render the per-backend results: the headline first (failures, and checks whose verdict differs
between backends), then a table of backend by check."""

from __future__ import annotations

from collections import defaultdict

import xavier_core as xc

CHECKS = ("bounds", "reach", "mean", "variance", "ks")


def failed(payload: dict) -> bool:
    """Did anything in this backend's run fail (a check, a test, or the process)?"""
    return bool(payload.get("crash")) or payload.get("exit_status", 1) != 0


def headline(payloads: list[dict]) -> list[str]:
    """One line per finding worth reading first; empty when every backend agrees and passes."""
    lines = []
    for payload in payloads:
        if payload.get("crash"):
            lines.append(f"{payload['backend']} [{payload['device']}]: the run crashed:\n"
                         f"    {payload['crash']}")
        failures = [t for t in payload["tests"] if t["outcome"] == "failed"]
        for test in failures:
            lines.append(f"{payload['backend']} [{payload['device']}] FAILED {test['test']}: "
                         f"{test['message']}")
        explained = failures or payload.get("crash") or any(
            not c["passed"] for c in payload["checks"])
        if not explained and payload.get("exit_status", 1) != 0:
            lines.append(f"{payload['backend']} [{payload['device']}]: pytest exited with "
                         f"status {payload['exit_status']}")
    verdicts: dict[tuple[str, str], dict[str, bool]] = defaultdict(dict)
    for payload in payloads:
        for check in payload["checks"]:
            verdicts[(check["case"], check["name"])][payload["backend"]] = check["passed"]
    for (case, check), by_backend in sorted(verdicts.items()):
        if len(set(by_backend.values())) > 1:
            passing = [b for b, ok in by_backend.items() if ok]
            failing = [b for b, ok in by_backend.items() if not ok]
            lines.append(f"DIFFERS {case} {check}: passes on {', '.join(passing)}; "
                         f"fails on {', '.join(failing)}")
    return lines


def _cell(checks: list[dict]) -> str:
    if not checks:
        return "-"
    passed = sum(c["passed"] for c in checks)
    lowest = min(c["p_value"] for c in checks)
    return f"{passed}/{len(checks)} p>={lowest:.2g}"


def summary_table(payloads: list[dict]) -> str:
    """Backend by check: passed/total and the smallest p-value; then the other tests."""
    header = ("backend", "device", *CHECKS, "complex", "other tests", "seconds", "versions")
    rows = []
    for payload in payloads:
        by_name, complex_checks = defaultdict(list), []
        for check in payload["checks"]:
            if check["case"].startswith("complex"):  # parts, E|w|^2, correlation: one column
                complex_checks.append(check)
            elif not check["case"].startswith(("mutant-", "calibration-")):
                by_name[check["name"]].append(check)
        statistical = {t["test"] for t in payload["tests"] if "test_statistics" in t["test"]}
        others = [t for t in payload["tests"] if t["test"] not in statistical]
        other_ok = sum(t["outcome"] == "passed" for t in others)
        versions = ", ".join(f"{k} {v}" for k, v in payload["versions"].items()
                             if k not in ("python", "xavier-init", "scipy"))
        rows.append((payload["backend"], payload["device"],
                     *(_cell(by_name[name]) for name in CHECKS), _cell(complex_checks),
                     f"{other_ok}/{len(others)}", f"{payload.get('seconds', 0):.1f}", versions))
    return xc.render_table(header, rows)


def render(payloads: list[dict], notes: list[str]) -> str:
    """The whole report as text."""
    findings = headline(payloads)
    lines = ["xavier-conformance: does every backend draw exactly the spec's distribution?", ""]
    if findings:
        lines += ["HEADLINE", *(f"  {line}" for line in findings), ""]
    else:
        lines += ["HEADLINE: every backend passes every check, and all agree.", ""]
    lines += [summary_table(payloads), ""]
    lines += [f"note: {note}" for note in notes]
    lines.append("checks: bounds (|w| <= bound in the weight's dtype), reach (extremes reached), "
                 "mean and variance (z = 4.89, exact 4th moment), ks (exact CDF rounded to the "
                 "dtype); complex (complex64/128 weights: those checks on the real and "
                 "imaginary parts, E|w|^2 and the parts' correlation); each with false-alarm "
                 "rate 1e-6 and fixed seeds.")
    verdict = "FAIL" if any(failed(p) for p in payloads) else "PASS"
    lines.append(f"overall: {verdict}")
    return "\n".join(lines)
