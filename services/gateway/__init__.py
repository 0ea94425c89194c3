"""The HTTP gateway: client apps publish check-ins to `rapport.checkins.v1`."""
