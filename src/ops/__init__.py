"""Operating a running bot: dashboard, operator controls, audit log, metrics and alerts."""
