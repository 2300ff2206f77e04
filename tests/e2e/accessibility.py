"""axe-core (from web/node_modules, installed by `make setup`; never from a CDN) on the chat widget."""

from __future__ import annotations

from harness.stack import ROOT

AXE = ROOT / "web/node_modules/axe-core/axe.min.js"
WIDGET_HOST = "tier0-chat-widget"
FAILING_IMPACTS = ("serious", "critical")

# axe walks open shadow roots: a context of the host element covers the widget's whole shadow tree
# (test_widget.py checks that with a planted violation). Results name shadow nodes as a path of
# selectors, host first.
_RUN = """async (host) => {
  const result = await axe.run({ include: [[host]] }, { resultTypes: ["violations", "passes"] });
  const shadowNodes = result.passes.concat(result.violations)
    .flatMap((rule) => rule.nodes)
    .filter((node) => Array.isArray(node.target[0]) || node.target.length > 1).length;
  return {
    shadowNodes,
    passes: result.passes.length,
    violations: result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: JSON.stringify(n.target), summary: n.failureSummary })),
    })),
  };
}"""


def _load_axe(page) -> None:
    """axe-core into the page. Evaluated over the DevTools protocol, which a page's
    Content-Security-Policy does not govern: our pages forbid inline scripts, as they should."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")


def axe_results(page) -> dict:
    """axe.run on the widget: {'violations': [...], 'passes': n, 'shadowNodes': n}."""
    _load_axe(page)
    return page.evaluate(_RUN, WIDGET_HOST)


def assert_accessible(page, context_label: str) -> dict:
    """Fail listing every violation of impact serious or critical found in the widget."""
    results = axe_results(page)
    assert results["shadowNodes"] > 0, f"{context_label}: axe did not look inside the widget's shadow root"
    bad = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
    report = "\n".join(
        f"- [{v['impact']}] {v['id']}: {v['help']}\n"
        + "\n".join(f"    {n['target']}: {(n['summary'] or '').replace(chr(10), ' ')}" for n in v["nodes"])
        for v in bad
    )
    assert not bad, f"{context_label}: {len(bad)} serious/critical accessibility violation(s):\n{report}"
    return results


def assert_page_accessible(page, context_label: str) -> None:
    """The same check on a whole page (the staff pages), not only the widget."""
    _load_axe(page)
    violations = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)),
        }))"""
    )
    bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    report = "\n".join(f"- [{v['impact']}] {v['id']}: {v['help']} {v['targets'][:5]}" for v in bad)
    assert not bad, f"{context_label}: {len(bad)} serious/critical accessibility violation(s):\n{report}"
