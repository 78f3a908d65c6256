"""What the tests build with, imported as a package (never from a conftest).

fixtures.py is a pytest plugin (tests/conftest.py's `pytest_plugins`): the fixtures every
directory shares. The rest are plain modules: people.py (People, Signed, PageClient),
databases.py (DatabaseFactory), rows.py and queries.py (counting rows and statements),
pages.py (posting page forms), auth.py (signing in, tokens, the audit trail), sessions.py,
mentoring.py, builder.py (fidelity's rows, inserted straight), demo.py and cli.py (the
`tandem` command), files.py, browser.py (the e2e pages), clock.py and clocked.py (the suite's
clock, in this process and in `tandem` subprocesses), served.py (a real `tandem serve`).
"""
