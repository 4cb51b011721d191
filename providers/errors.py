"""What an adapter refuses or cannot reach. The gateway maps each class to one answer.

Every refusal of an incoming message carries a ``reason`` the gateway can log and show
finance staff; none of them is ever a reason to move money.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base of everything a provider adapter raises."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureInvalid(ProviderError):
    """An incoming message without a signature, or whose signature is not the provider's:
    forged, altered in transit, or signed with another key."""


class UnknownMerchant(ProviderError):
    """A correctly signed message addressed to a merchant (terminal, partner, account)
    that is not ours: misrouted, or replayed from another merchant's traffic."""


class MalformedMessage(ProviderError):
    """A message (callback or API answer) that does not have the provider's shape."""


class ProviderUnavailable(ProviderError):
    """The provider did not answer in time, could not be reached, or answered 5xx. The
    outcome is unknown: the gateway must query the status later, never assume failure."""


class ProviderRejected(ProviderError):
    """The provider answered and refused the request, with its own code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
