"""Local control API (Unix socket, JSON lines) and Prometheus metrics."""
