"""The detector service: scoring and the eight signal rules over check-ins (faust live, replay offline)."""
