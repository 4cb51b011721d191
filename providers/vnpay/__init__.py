"""VNPAY payment gateway (API 2.1.0): redirect payments, IPN callbacks, queries and refunds."""
