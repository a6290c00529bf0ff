"""The student's statement: the answer to an access request (spec/statement.md).

    dates      the due date of a request (a calendar month) and the student's age on a day
    register   the register of access requests, in the decision store
    sources    the relations the statement reads, over the warehouse or its published copy
    data       the statement's contents: set-based SQL for one student
    document   the statement as HTML and PDF, owner-only files
    report     the requests due soon or overdue, for the privacy officer's weekly report
"""
