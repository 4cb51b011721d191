"""MoMo e-wallet payment gateway (API v3): create, IPN and redirect results, query, refund."""
