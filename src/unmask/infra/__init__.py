"""Infrastructure tracing over time: DNS, networks, masking services, certificates, linking IDs, changes."""
