"""Who is behind it: the case's entity graph, ownership importers, effective ownership and paths."""
