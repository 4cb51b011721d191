"""The console's refusals; ``code`` names the rule for the command line and the pages."""

from __future__ import annotations


class ConsoleError(Exception):
    code = "refused"


class InvalidEmail(ConsoleError):
    code = "invalid_email"


class EmailTaken(ConsoleError):
    code = "email_taken"


class StaffNotFound(ConsoleError):
    code = "staff_not_found"


class SelfLockout(ConsoleError):
    """An admin may not disable or demote their own account: the console would lose its admin."""

    code = "self_lockout"


class LoginRefused(ConsoleError):
    """Wrong email or password, or a disabled account: one answer for all three."""

    code = "login_refused"


class LoginThrottled(ConsoleError):
    code = "login_throttled"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s
