"""AWS Route53 provider for dnssync; boto3 is imported only when a provider is created."""

__version__ = "0.1.0"
