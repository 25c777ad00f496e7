"""Attribute mappings and scoping filters as data: expressions, the overlay, the comparison (pure)."""
