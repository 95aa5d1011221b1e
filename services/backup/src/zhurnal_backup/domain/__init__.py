"""Domain of the backup service: backup schedule, encrypted backup sets, restore and its
verification (roadmap).
"""
