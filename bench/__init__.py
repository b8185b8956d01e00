"""`make bench`: figures measured side by side, printed as `BENCH <figure> <value> <unit>`."""
