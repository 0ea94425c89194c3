"""The therapist dashboard: caseload, alert inbox, client timelines and live updates over Server-Sent Events."""
