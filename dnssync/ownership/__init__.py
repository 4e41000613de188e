"""Ownership of records through ExternalDNS-compatible TXT records."""
