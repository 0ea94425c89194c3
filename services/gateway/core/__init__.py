"""Pure gateway logic: idempotency ledger, rate limits, safety resources; no I/O."""
