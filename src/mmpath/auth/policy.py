"""Who may do what: the role each request needs, by method and path (docs/security.md).

One table for every route, present and future: a path not listed here needs the
``viewer`` role to read (GET/HEAD) and ``clinician`` for anything else, so a new page is
never public by accident.
"""

from __future__ import annotations

import re
from typing import Final

#: No sign-in: the sign-in pages, static files, API docs, health and version; CDS Hooks
#: (the EHR's signed JWT is checked by that router, docs/cds-hooks.md).
PUBLIC: Final = re.compile(
    r"^/(login(/oidc)?|oidc/callback|static/[^/]+|favicon\.ico|docs|api/docs(/assets/.*)?"
    r"|openapi\.json|api/v1/(health|version)|cds-services(/.*)?)$"
)
#: Any signed-in user, whatever their role: their own session and API tokens.
SIGNED_IN: Final = re.compile(r"^/(logout|account(/.*)?)$")
#: Administrators: users. The audit listing's access-log rows (``/api/v1/audit?action=``
#: other than ``evaluate``) are checked by that route; one audit entry (a stored answer) is
#: read like a patient; deciding on it needs ``clinician``.
ADMIN: Final = re.compile(r"^/(admin(/.*)?|api/v1/users(/.*)?)$")
READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
#: Requests the CSRF check does not apply to (CDS Hooks: no cookies, a signed JWT).
NO_CSRF: Final = re.compile(r"^/cds-services(/.*)?$")


def required(method: str, path: str) -> str | None:
    """The least role ``method path`` needs: None (public), ``signed-in``, ``viewer``,
    ``clinician`` or ``admin``."""
    if PUBLIC.match(path):
        return None
    if SIGNED_IN.match(path):
        return "signed-in"
    if ADMIN.match(path):
        return "admin"
    return "viewer" if method in READ_METHODS else "clinician"
