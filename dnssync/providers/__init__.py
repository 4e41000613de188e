"""The provider contract and the embedded providers (inmemory, zonefile)."""
