"""Vigía's checks: pure rules over an immutable snapshot of one portal's crawl (LAIP art. 10).

``RULES_VERSION`` is recorded on every evaluation; change it whenever a rule's behaviour changes so
that stored findings say which reading produced them.
"""

RULES_VERSION = "2026.12.1"
