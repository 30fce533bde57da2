"""The pure domain of progress-service: events, the fold and the rules. No I/O here."""
