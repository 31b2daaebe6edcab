"""Operator accounts and roles: argon2 passwords, signed session cookies, CSRF, the audit log."""
