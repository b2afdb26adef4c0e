"""A Swedish web view for analysts, served by ``esf-pipeline serve`` at ``/``.

Server-rendered pages (FastAPI + Jinja2, every asset inside this package, no
JavaScript needed):

- ``/`` — search: one box (full-text matches from the store, similar projects
  from the index), filters for theme, region, programme area, period, budget and
  owner, pagination; the URL holds the query;
- ``/projekt/{id}`` — one project: metadata, summary, sections, the cleaned text
  with entities highlighted by kind and, with ``?theme=ID``, that theme's
  evidence; similar projects with score and shared themes; the record as JSON;
- ``/oversikt`` — projects per theme by region and by start year, as bar charts
  whose cells link to the filtered list;
- ``/export.csv`` — the current filter as CSV (the ``export`` command's columns).

Personal data (contact names, e-mails, phone numbers, person names) is redacted
as in the API unless the app was created with ``show_personal=True``.
"""

from __future__ import annotations

from .views import mount_web

__all__ = ["mount_web"]
