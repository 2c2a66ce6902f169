"""CDS Hooks 2.0 service: discovery, ``patient-view``, ``order-select``, feedback.

See docs/cds-hooks.md for the EHR set-up; ``router`` is mounted at ``/cds-services``.
"""
