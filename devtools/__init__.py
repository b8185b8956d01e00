"""Development tools: `make run` (database, broker, keys, demo fleet, monitoring), `make tokens`,
`make topics`, `make proto`. Nothing here is imported by a service or shipped in an image."""
