"""HTTP endpoints of enrollments, one module per audience."""
