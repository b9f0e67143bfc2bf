"""unmask.web"""
