"""newsfold: raw news captures → clean articles → deduplicated stories."""
from .api import Store, compare, extract, extract_text
from .model import Article, Capture, PairScores, Problem

__all__ = ["Store", "compare", "extract", "extract_text", "Article", "Capture", "PairScores", "Problem"]
