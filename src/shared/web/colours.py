"""The one palette of pages and badges: readable on light and dark backgrounds alike."""

STATUS_COLOURS = {
    "healthy": "#1f9d55",
    "degraded": "#d97706",
    "unhealthy": "#dc2626",
    "unknown": "#6b7280",
}
NO_DATA = "#9ca3af"
STATUS_LABELS = {
    "healthy": "Operational",
    "degraded": "Degraded",
    "unhealthy": "Down",
    "unknown": "No data",
}


def availability_colour(availability: float | None) -> str:
    """A day's bar: green when fully up, amber for small losses, red below 95 %."""
    if availability is None:
        return NO_DATA
    if availability >= 0.999:
        return STATUS_COLOURS["healthy"]
    if availability >= 0.95:
        return STATUS_COLOURS["degraded"]
    return STATUS_COLOURS["unhealthy"]
