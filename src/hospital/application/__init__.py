"""Use cases and ports. Imports only the domain: drive it from any Python code, no HTTP needed.

One scheme for every use case (README, "Python services"): it is called as ``(actor, <thing>_id,
command)``, each part present when needed; a command is one frozen dataclass whose fields are the
API's field names (``Booking(doctor=, time=)``, ``DoctorChanges(designation=)``), and so are the
keys of the errors it raises; it answers a read model with those names whose ``id`` is an ``int``,
whether it read the thing or just created it.
"""
