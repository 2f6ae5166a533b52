"""Use cases and ports. Imports only the domain: drive it from any Python code, no HTTP needed."""
