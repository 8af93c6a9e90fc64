"""The registration builders (``EXAMPLE``, ``body``, ``post``, ``agent_client``) are in
tests/builders.py."""
