"""Notifications (issue 16): messages to each municipality's information unit, the monitors' nightly
digest, the outbox they go through (idempotency key, retries with backoff, opt-out) and SMTP delivery.

Mail is a consumer of findings like the reports: it reads stored rows through :mod:`reports.loader`, reuses
the reports' view models (:func:`reports.views.checklist_view`, :func:`reports.views.portal_changes`) and
never judges compliance. ``vigia notify`` (``vigia/cli.py``) wires it.
"""
