"""The dashboard's pure core: caseload ordering and trends, stream cursors and frames (no I/O, no clock)."""
