"""Test helpers shipped with dnssync, for our providers and third-party ones."""
