"""A vendor's rule table as the Markdown docs/vendors.md shows, so the page can be checked against the code.

Regenerate the page's tables after changing a rule:
    python manage.py shell -c "from smartapp.ehr.profiles.markdown import print_all; print_all()"
"""

from smartapp.ehr.profiles.rules import VendorRules, rule_fields


def rules_markdown(module: str, rules: VendorRules) -> str:
    """The flags table and the search table of `rules`, as in docs/vendors.md."""
    lines = [f"<!-- generated from smartapp/ehr/profiles/{module}.py -->", ""]
    lines += ["| rule | value | source |", "|---|---|---|"]
    for name in rule_fields():
        if name != "search":
            lines.append(f"| `{name}` | {_value(getattr(rules, name))} | {_linked(rules.sources[name])} |")
    lines += ["", "| type | accepted (besides `_count`) | required (one of each) | `_include` | source |"]
    lines.append("|---|---|---|---|---|")
    for resource_type, rule in sorted(rules.search.items()):
        required = "; ".join(" / ".join(_codes(group)) for group in rule.required) or "none"
        lines.append(
            f"| {resource_type} | {' '.join(_codes(rule.accepted))} | {required} | "
            f"{' '.join(_codes(rule.includes)) or 'none'} | {_linked(rule.source)} |"
        )
    return "\n".join(lines)


def print_all() -> None:
    from smartapp.ehr.profiles import PROFILES

    for module, profile in PROFILES.items():
        print(f"\n{rules_markdown(module, profile.rules)}\n")


def _codes(names) -> list[str]:
    return [f"`{name}`" for name in sorted(names)]


def _value(value) -> str:
    if isinstance(value, frozenset):
        return ", ".join(_codes(value)) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"`{value}`"


def _linked(text: str) -> str:
    """URLs in a source as Markdown autolinks; the rest as it is."""
    words = []
    for word in text.split(" "):
        url = word.strip("(),;")
        words.append(word.replace(url, f"<{url}>") if url.startswith("https://") else word)
    return " ".join(words)
