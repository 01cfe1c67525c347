"""The registry of rules: every article-10 numeral once, in order, then the portal-level rules."""

from __future__ import annotations

import importlib

from checks.rules.base import NumeralRule
from checks.rules.portal import PORTAL_RULES, PortalRule

NUMERAL_MODULES = tuple(f"checks.rules.laip_10_{n:02d}" for n in range(1, 30))


def _load() -> tuple[NumeralRule, ...]:
    rules = []
    for name in NUMERAL_MODULES:
        module = importlib.import_module(name)
        rules.append(module.RULE)
    return tuple(sorted(rules, key=lambda r: r.numeral))


NUMERAL_RULES: tuple[NumeralRule, ...] = _load()
ALL_RULES: tuple[NumeralRule | PortalRule, ...] = (*NUMERAL_RULES, *PORTAL_RULES)
RULES_BY_CODE: dict[str, NumeralRule | PortalRule] = {r.code: r for r in ALL_RULES}
