"""The hosted checkout: the pages where citizens find a service, look up what they owe,
choose how to pay, follow the payment and get their receipt. Handlers are thin (read the
form, call the domain, render); the rules live in pure modules beside them."""
