"""The benchmark: the pipeline and its floor and peer, side by side on the same data."""
