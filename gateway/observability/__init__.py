"""What the operator watches: Prometheus metrics and structured logs."""
