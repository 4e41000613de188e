"""The plan: desired records against a zone's records, ownership and policies (docs/engine.md)."""
