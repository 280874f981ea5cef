"""View helpers shared by the two web interfaces (`staff/` and `portal/`), so neither imports the other.

Like the interfaces, no domain logic here: each caller does its own access check first.
"""
