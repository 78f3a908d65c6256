"""Helpers shared by the tests and the browser tests' subprocesses."""
