"""dnssync provider for any ExternalDNS webhook provider (the ExternalDNS webhook protocol)."""

__version__ = "0.1.0"
