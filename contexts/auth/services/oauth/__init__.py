"""The OAuth 2.0 / OpenID Connect provider: django-oauth-toolkit configured and extended.

scopes (the catalogue), server (the trimmed oauthlib server), validator (the toolkit's
validator, extended), tokens (RFC 9068 access tokens and ID tokens from the key store),
consent, applications, revocation (token revocation → ``auth.token_revoked``).
"""
