"""Generic helpers (rate limiting, retries, logging) that know no broker."""
