"""Two-factor authentication: TOTP, WebAuthn security keys and passkeys, recovery codes.

allauth's `mfa` app provides the Authenticator model, the login stage and the WebAuthn
ceremony; the rules that make a second factor worth having are ours and live here: replay
protection, hashed recovery codes, encrypted secrets, rate limits and the policy of who must
have one.
"""
