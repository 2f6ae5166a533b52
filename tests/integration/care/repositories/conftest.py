from tests.support.adapters import any_container

__all__ = ["any_container"]
