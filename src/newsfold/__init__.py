"""newsfold: raw news captures → clean articles → deduplicated stories."""
from .api import Store, extract, extract_text
from .model import Article, Capture, Problem

__all__ = ["Store", "extract", "extract_text", "Article", "Capture", "Problem"]
