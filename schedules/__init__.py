"""The scheduling domain: routines, plans, recurrence, due nudges, adherence.

Pure Python over tz-aware datetimes; it never imports ``telegram`` or touches the database.
"""
