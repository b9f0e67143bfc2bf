"""unmask.evidence"""
