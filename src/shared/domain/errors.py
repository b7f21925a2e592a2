"""Domain errors. They know nothing of HTTP; each transport maps them in one place."""


class DomainError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class BadRequestError(DomainError):
    code = "BAD_REQUEST"


class UnauthenticatedError(DomainError):
    code = "UNAUTHENTICATED"


class ForbiddenError(DomainError):
    code = "FORBIDDEN"


class NotFoundError(DomainError):
    code = "NOT_FOUND"


class ConflictError(DomainError):
    code = "CONFLICT"


class VersionMismatchError(DomainError):
    code = "VERSION_MISMATCH"


class PayloadTooLargeError(DomainError):
    code = "PAYLOAD_TOO_LARGE"


class ValidationFailedError(DomainError):
    code = "VALIDATION_FAILED"


class ThrottledError(DomainError):
    code = "THROTTLED"

    def __init__(self, message: str, details: list[dict] | None = None, *, retry_after_seconds: int = 1):
        super().__init__(message, details)
        self.retry_after_seconds = retry_after_seconds


class UnavailableError(DomainError):
    code = "UNAVAILABLE"
