"""Protected persons: a private watchlist, matching over the catalogue, the NGO's own report.

See docs/protect.md.
"""
