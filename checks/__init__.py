"""Vigía's checks: pure rules over an immutable snapshot of one portal's crawl (LAIP art. 10).

``RULES_VERSION`` is recorded on every evaluation; change it whenever a rule's metadata or behaviour
changes so that stored findings say which reading produced them, and append the new version with its
fingerprint to ``checks/rules_versions.txt`` (``python -m checks.fingerprint``; a test enforces it).
The other parts read the rules' facts through ``checks.facts``.
"""

RULES_VERSION = "2026.12.6"
