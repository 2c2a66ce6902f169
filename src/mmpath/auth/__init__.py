"""Sign-in, roles, sessions, API tokens, CSRF and the security middleware (issue 11).

See docs/security.md for the threat model and how to deploy for a team.
"""
