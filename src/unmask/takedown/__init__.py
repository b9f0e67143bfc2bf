"""Takedown notice packages (docs/takedown.md): per recipient a notice with every DSA Art. 16(2) element,
the evidence of each URL, as JSON, an EML ready to send and a PDF. Reads census captures, infra's RDAP
data and protect's matches: it sits above the data stages, like report and watch."""
