"""identity: VNeID login by QR (signed token checks, single use) and confirmation codes (OTP) by SMS."""
