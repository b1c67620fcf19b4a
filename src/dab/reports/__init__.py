"""Report renderers: plain data (dicts, evaluation results) in, a document (str) out.

Pure: no database, no framework, no settings. Every value put into HTML or XML is escaped.
"""

from dab.reports.ci import junit_xml, sarif_log
from dab.reports.conformance_html import conformance_html
from dab.reports.pr_comment import pr_comment
from dab.reports.tabular import VIOLATION_CSV_COLUMNS, csv_cell, violations_csv

__all__ = [
    "VIOLATION_CSV_COLUMNS",
    "conformance_html",
    "csv_cell",
    "junit_xml",
    "pr_comment",
    "sarif_log",
    "violations_csv",
]
