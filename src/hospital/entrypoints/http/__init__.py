"""The HTTP adapter. It only translates: structs in and out, a use case call, errors to statuses."""
