"""The student's statement: the answer to an access request (spec/statement.md).

    dates      the student's age on a day (whom the statement is addressed to)
    sources    the relations the statement reads, over the warehouse or its published copy
    data       the statement's contents: set-based SQL for one student
    document   the statement as HTML and PDF, owner-only files

The register of access requests, their due dates and the requests due soon (for the weekly report) live
with the decision store, in decisions.requests: the reports and the review app read them there, so that
nothing below this package imports it.
"""
