"""Image uploads: checking that bytes are a real image, and storing them under server-made names."""
