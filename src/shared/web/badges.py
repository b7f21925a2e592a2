"""Shields-style SVG badges: a grey label and a coloured value, each on its own filled box with
white text, so they read the same on light and dark backgrounds."""

from __future__ import annotations

from html import escape

LABEL_COLOUR = "#374151"
CHAR_WIDTH = 6.5
PADDING = 10


def _width(text: str) -> int:
    return int(len(text) * CHAR_WIDTH + 2 * PADDING)


def badge(label: str, value: str, colour: str) -> str:
    left, right = _width(label), _width(value)
    total = left + right
    label_text, value_text = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label_text}: {value_text}"><title>{label_text}: {value_text}</title>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{label_text}</text>'
        f'<text x="{left + right / 2}" y="14">{value_text}</text></g></svg>'
    )
