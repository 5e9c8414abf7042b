"""Platform adapters: each translates its platform's events to Incoming and sends deliveries."""
