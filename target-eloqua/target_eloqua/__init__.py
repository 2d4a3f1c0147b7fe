"""Singer target for Oracle Eloqua custom objects."""
