"""Watching: scheduled re-runs and alerts."""
