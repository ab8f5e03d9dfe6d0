"""Every test runs with a cache of its own session: never the user's `~/.cache/xorq`."""

import os
import tempfile

# Read once, when the first query creates the session: set before anything runs.
os.environ["XORQ_CACHE_DIR"] = tempfile.mkdtemp(prefix="xorq-rs-pytest-cache-")
