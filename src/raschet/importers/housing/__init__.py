"""Import of the housing stock from the XLSX/CSV template (docs/import-housing.md).

The public interface, used by the CLI and the back office.
"""

from raschet.importers.housing.columns import template_bytes
from raschet.importers.housing.report import ImportIssue, ImportReport, render_report
from raschet.importers.housing.service import housing_import

__all__ = ["ImportIssue", "ImportReport", "housing_import", "render_report", "template_bytes"]
