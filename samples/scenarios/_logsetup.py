"""Logging setup shared by the sample scenarios.

The regenerate script runs every scenario twice: once with logging left
unconfigured (asyncio's warnings then reach stderr through logging's
"last resort" handler as bare messages) and once with a timestamped format
such as a deployed service would use. It chooses between them with the
AIOLOG_SAMPLE_LOGGING environment variable.
"""
import logging
import os

if os.environ.get("AIOLOG_SAMPLE_LOGGING") == "timestamped":
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
    )
