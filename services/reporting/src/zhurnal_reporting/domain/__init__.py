"""Domain of the reporting service: read models built from events, reports and statements
(roadmap).
"""
