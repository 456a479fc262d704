"""Where the package looks for libcoffer."""
import os
import unittest
from unittest import mock

from support import coffer  # noqa: F401 - puts this checkout's package first
from coffer import _lib

CHECKOUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                         ".."))


class LoadingTest(unittest.TestCase):
    def test_coffer_library_wins(self):
        with mock.patch.dict(os.environ, {"COFFER_LIBRARY": "/opt/x/libcoffer.so.0"}):
            self.assertEqual(_lib.candidate_paths(), ["/opt/x/libcoffer.so.0"])

    def test_without_it_the_checkouts_build_trees_come_before_the_system(self):
        used = os.environ.get("COFFER_LIBRARY", "")
        env = dict(os.environ)
        env.pop("COFFER_LIBRARY", None)
        with mock.patch.dict(os.environ, env, clear=True):
            paths = _lib.candidate_paths()
        self.assertEqual(paths[-1], "libcoffer.so.%d" % _lib.EXPECTED_MAJOR)
        in_checkout = [p for p in paths if p.startswith(CHECKOUT + os.sep)]
        self.assertTrue(all(os.path.basename(os.path.dirname(p)).startswith("build")
                            for p in in_checkout), in_checkout)
        build_dir = os.path.dirname(os.path.realpath(used)) if used else ""
        if os.path.dirname(build_dir) != CHECKOUT or not os.path.basename(build_dir).startswith(
                "build"):
            self.skipTest("the library under test is not in a build*/ directory of this checkout")
        # The library ctest points at would also be found without the variable.
        self.assertIn(os.path.realpath(used), [os.path.realpath(p) for p in in_checkout])

    def test_the_loaded_library_matches_the_expected_major(self):
        self.assertEqual(coffer.version_number() // 10000, _lib.EXPECTED_MAJOR)


if __name__ == "__main__":
    unittest.main()
