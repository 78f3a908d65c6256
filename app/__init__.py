"""Tandem: a skills group with mentoring for children in care, delivered as designed."""

# The metadata naming convention must be in place before any table class is defined;
# importing the database module first guarantees it for every domain's models.
from app import db as _db  # noqa: F401
