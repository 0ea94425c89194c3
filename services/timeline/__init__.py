"""The timeline service: writes every check-in, score, signal and alert step to PostgreSQL, and reads it back."""
