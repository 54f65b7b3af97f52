"""The auth context's write side, one module per concern.

accounts, tokens, keys, social, throttle, emails.
"""
