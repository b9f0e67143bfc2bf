"""Shared core: case workspace, configuration, store and fetch layer."""
