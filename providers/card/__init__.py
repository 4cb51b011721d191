"""Card payments through an acquirer that speaks Stripe's API (PaymentIntents, Refunds,
signed webhook Events), so stripe-mock, Stripe's test mode and the sandbox all fit."""
