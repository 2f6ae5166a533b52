"""Password hashing (argon2id) and signed tokens (JWT, HS256)."""
