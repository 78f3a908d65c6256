"""Assessments: a child's scores on a measure at a timepoint, the timepoints' windows, and
what is due or overdue."""
