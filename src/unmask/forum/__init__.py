"""The marketplace: a census of a platform's forum (threads, paid requests, prices); docs/forum.md."""
