"""An agency's balance in one mode, as Stripe's Balance object shows it: what was collected
for it and not yet settled (pending), and what settled and is not yet remitted (available)."""
