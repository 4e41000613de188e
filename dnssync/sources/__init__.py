"""Where the objects come from: manifests (files) or a cluster (dnssync.sources.kube)."""
