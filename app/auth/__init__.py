"""Accounts: users and roles, passwords, server-side sessions, API tokens, activation codes."""
