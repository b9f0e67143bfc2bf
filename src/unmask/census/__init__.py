"""Census: a platform's public catalogue as metadata (never the media)."""
