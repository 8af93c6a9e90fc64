"""The fee tests' builders (registrations, payments, dates) are in tests/builders.py."""
