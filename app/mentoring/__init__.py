"""Mentoring, by its nouns. Each has its service (the rules and the SQL) and, where it has
pages, its views:

- profiles/  mentors, their safer-recruitment checks, and the lock on a mentor's row
- matching/  suggestions (scoring.py: a score and its reasons), matches, check-ins, endings
- visits/    logging and recording visits, a match's weekly slot (planning.py), concerns
- practice/  the practice tasks a mentor works on with a mentee
- week/      the mentor's week
- overview/  the lead's mentoring counts on the home page

api.py is the JSON API of them all; models.py, schemas.py and shared.py serve them all."""
