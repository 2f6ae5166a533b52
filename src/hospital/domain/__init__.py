"""Entities, value objects and rules. Standard library only."""
