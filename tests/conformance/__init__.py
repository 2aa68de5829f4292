"""One behaviour suite run against every ExecutionEngine."""
