"""A test suite run by pytest, over code that forgets two awaits.

pytest records the warnings raised while tests run and prints each distinct
warning once in its "warnings summary": under the ids of the tests that
raised it, or, when many did, under a count per module ("test_many.py: 12
warnings"). A warning printed once there can stand for a dozen occurrences;
aiolog counts them all.
"""
import os
import sys

import _logsetup  # noqa: F401
import pytest  # requires: pytest

# findings-in: pytest_project/orders.py

here = os.path.dirname(os.path.abspath(__file__))
project = os.path.join(here, "pytest_project")
sys.path.insert(0, project)
sys.exit(pytest.main(["-p", "no:cacheprovider", "--rootdir", project, project]))
