"""Shared pieces of the gateway's HTML pages (hosted checkout, finance console): templates,
translations, CSS, CSRF, security headers, cookies, rate limits. See README.md here."""
