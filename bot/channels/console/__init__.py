"""Console channel: adapter (inbound), outbound and pure format."""
