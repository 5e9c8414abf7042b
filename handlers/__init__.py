"""Platform-independent features: each module exposes its commands to the registry."""
