"""Singer tap for Domo DataSets."""
