"""ShoreWatch: coastal anti-smuggling and patrol monitoring."""

__version__ = "0.1.0"
