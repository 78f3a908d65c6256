"""Outcomes beside fidelity: measures as data (outcomes/), assessments at baseline, end and
follow-up, life events, and the outcomes report."""
