"""RFC 2136 dynamic update provider for dnssync (TSIG-signed UPDATE and AXFR over TCP)."""

__version__ = "0.1.0"
