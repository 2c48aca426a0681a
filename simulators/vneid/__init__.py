"""The simulated VNeID identity provider (OIDC-style: discovery, JWKS, signed login QR tokens, SMS codes)."""
from simulators.vneid.app import create_app
from simulators.vneid.config import SimSettings

__all__ = ["SimSettings", "create_app"]
