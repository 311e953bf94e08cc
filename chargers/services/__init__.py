"""Version-neutral services that record what chargers report and manage the fleet.

Each takes keyword-only arguments and is called by exactly one thin interface per
entry point (the OCPP adapters, the API, the admin, management commands).
"""
