"""The outcomes report (issue 17): change from baseline to end and follow-up per measure,
informant and scale, reliable change, the high band, the split by dosage, completion, and
small-number suppression; as JSON (api.py) and a page with charts (views.py)."""
