"""Runtime: config, CLI, the app that wires everything, platform adapters, outbox sender."""
