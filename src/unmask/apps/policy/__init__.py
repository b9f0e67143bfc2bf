"""Privacy policies: main text (trafilatura), language (py3langid), paragraphs, OPP-115 categories and
data types, and typed, weighted signals with their sentence as evidence, negation and scope checked.
Rules written from the category definitions, in English and Chinese; no model trained on OPP-115 or
other non-commercial corpora is shipped (docs/apps.md, docs/benchmarks.md for the measured F1)."""
