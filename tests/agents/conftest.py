"""The agent builders are shared with other packages and live in tests/builders.py."""
