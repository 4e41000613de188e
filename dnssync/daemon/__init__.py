"""``dnssync run``: the in-cluster daemon (watch-driven reconciles, resync, leader election)."""
