"""The zone-file provider (``--provider zonefile``): see :mod:`.provider`."""

from dnssync.providers.zonefile.provider import DIR_OPTION, ZoneFileProvider

__all__ = ["DIR_OPTION", "ZoneFileProvider"]
