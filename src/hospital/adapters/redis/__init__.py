"""Redis adapters: what several workers must share."""
