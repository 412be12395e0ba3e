"""Users, roles, groups, password hashing, sessions and bearer tokens."""

from engine.auth.principal import ROLES, Principal
from engine.auth.users import authenticate, create_user, issue_token, principal_from_token

__all__ = ["ROLES", "Principal", "authenticate", "create_user", "issue_token", "principal_from_token"]
