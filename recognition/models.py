"""Models of the recognition app."""
