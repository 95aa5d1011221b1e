"""Domain of the journal service: lesson records, attendance, marks, period locks and the
history of every change (issue 5).
"""
