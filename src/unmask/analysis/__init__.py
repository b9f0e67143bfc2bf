"""Analysis: figures, growth, targets, concentration (computed from the case store)."""
