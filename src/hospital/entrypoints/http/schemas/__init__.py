"""msgspec structs: the request and response shapes of the API guide, field for field."""
