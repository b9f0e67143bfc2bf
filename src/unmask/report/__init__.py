"""Report: a self-contained HTML file from the case (figures, growth, methodology)."""
