"""The gateway's edges: the Kafka publisher and the plan repository."""
