"""`make demo`: the pipeline against the local sandbox, end to end."""
