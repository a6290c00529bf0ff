"""The review app (`schoolaudit serve`): the privacy officer triages findings and decides, the council
reads its summaries.

An interface on top of the rest: it imports down (decisions, the published copy of the warehouse, the
report helpers) and nothing imports it but the command line. It never opens the warehouse: a run holds
that while it writes, and the app must keep serving, so it reads the published copy
(pipelines.published) and the store beside the warehouse (decisions.store) only.

    users.py     accounts, argon2id passwords, the lockout
    secret.py    the session secret kept owner-only beside the store
    data.py      the queries on the published copy and the store behind every page
    files.py     the report files of a week, served by name only
    security.py  the security headers and the request size limit
    text.py      the app's strings in English and Dutch (review/i18n), beside the reports'
    app.py       the Starlette app: middleware, the pages and who may see them
    server.py    `schoolaudit serve`: uvicorn on a socket of its own
"""
