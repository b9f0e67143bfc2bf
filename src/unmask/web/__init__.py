"""The local web workbench (`unmask serve`): server-rendered pages over the same stages the CLI calls.

  settings.py   what one server serves and how it is guarded (ServeSettings)
  security.py   the guard every request passes: Host header, token, CSRF, CSP and other headers
  cases.py      the cases served (one folder, or every case in a folder), each opened once, its
                privacy policy kept while the persons it knows stay the same
  items.py      the items table: filters, sort and keyset pagination in SQL
  jobs.py       long jobs (census crawl, report) as `unmask` subprocesses: progress, interrupt, failure
  views.py      the pages
  app.py        the Starlette application (routes, templates, static files)
  server.py     binding, the printed URL, uvicorn, shutdown

The web layer sits above the stages (docs/architecture.md): it reads census, analysis, infra, owners and
evidence through their public functions, and no stage imports it. Every asset is in static/; the pages
ask nothing of any other machine (docs/web.md).
"""
