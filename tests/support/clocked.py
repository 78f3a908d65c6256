"""The `tandem` command at a given instant, for the tests' subprocesses (the browser tests'
server, `tandem demo`):

    python -m tests.support.clocked 2027-03-10T10:00:00+00:00 serve --port 8123

travels to the instant (time passing from there, as in the test process; see
tests/support/clock.py) and then runs `app.cli.main()` with the remaining arguments, so the
demo data, the migrations and the server all see the suite's clock. Production code has no
clock hook: this is the only place the server's time is changed. `tandem serve` must run a
single worker (uvicorn's worker processes would start from the real clock).
"""

from __future__ import annotations

import sys

from tests.support.clock import parse_instant, travel


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: python -m tests.support.clocked INSTANT TANDEM-ARGS...")
    instant = parse_instant(argv[1])
    from app.cli import main as tandem

    sys.argv = ["tandem", *argv[2:]]
    with travel(instant):
        tandem()


if __name__ == "__main__":
    main(sys.argv)
