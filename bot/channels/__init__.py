"""Channel adapters: the only modules that import telegram or slack_bolt."""
