"""File imports into the tenant's tables (the housing stock first).

Importers validate a whole file before writing anything and write in one transaction; see
``docs/import-housing.md``.
"""
