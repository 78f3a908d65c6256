"""`make load`: a bounded Locust scenario against a served Tandem (see locustfile.py and
__main__.py)."""
