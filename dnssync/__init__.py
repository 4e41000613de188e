"""dnssync: keep DNS zones in step with how services are exposed from Kubernetes."""

__version__ = "0.1.0"
