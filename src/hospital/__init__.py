"""hospital: a hospital management API as a hexagonal library.

Import ``hospital.application`` to drive the use cases from Python, ``hospital.domain`` for the
entities and rules, and ``hospital.bootstrap.Container`` to get everything wired.
"""

__version__ = "0.1.0"
