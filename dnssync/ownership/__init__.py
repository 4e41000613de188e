"""Ownership of records through ExternalDNS-compatible TXT records: one planning stage.

- :mod:`.txt`: the TXT format (names, content, reading it exactly);
- :mod:`.registry`: which of a zone's records are ours, another owner's or nobody's;
- :mod:`.changes`: the TXT changes that travel with the planner's record changes.

Nothing here imports planning or rules (docs/ownership.md, "How ownership is decided").
"""
