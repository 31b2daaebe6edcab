"""The `hallkeeper` command line."""
