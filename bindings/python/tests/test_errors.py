"""Every coffer_status maps to its exception class, and real failures raise them."""
import contextlib
import glob
import os
import threading
import unittest
from unittest import mock

from support import FAST, PASSWORD, RepoTestCase, coffer


class MappingTest(unittest.TestCase):
    def test_every_status_code_has_its_own_class(self):
        expected = {
            1: coffer.InvalidArgumentError, 2: coffer.NotFoundError,
            3: coffer.AlreadyExistsError, 4: coffer.WrongPasswordError,
            5: coffer.PermissionDeniedError, 6: coffer.CorruptError, 7: coffer.LockedError,
            8: coffer.BackendError, 9: coffer.CancelledError, 10: coffer.UnsupportedError,
            11: coffer.NoSpaceError, 12: coffer.InternalError, 13: coffer.StoreAuthError,
        }
        for code, cls in expected.items():
            with self.subTest(code=code):
                self.assertIs(coffer.error_class(code), cls)
                self.assertTrue(issubclass(cls, coffer.CofferError))
                e = cls("message", code)
                # The library's own name for the code, e.g. COFFER_ERROR_NOT_FOUND.
                self.assertTrue(e.status_name.startswith("COFFER_ERROR_"), e.status_name)
                self.assertNotEqual(e.status_name, "COFFER_ERROR_UNKNOWN")
        self.assertEqual(len(set(expected.values())), len(expected))
        self.assertIs(coffer.error_class(999), coffer.CofferError)
        self.assertIs(coffer.StoreError, coffer.BackendError)
        self.assertTrue(issubclass(coffer.InvalidArgumentError, ValueError))


class FailureTest(RepoTestCase):
    def assertRaisesCoffer(self, cls, fn, *fragments):
        with self.assertRaises(cls) as caught:
            fn()
        e = caught.exception
        self.assertIs(type(e), cls)
        self.assertEqual(e.code, cls.code)
        for fragment in fragments:
            self.assertIn(fragment, e.message)
        return e

    def test_wrong_password(self):
        self.assertRaisesCoffer(coffer.WrongPasswordError,
                                lambda: coffer.Repository.open(self.location, "nope"),
                                "wrong password")

    def test_not_found(self):
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        self.assertRaisesCoffer(coffer.NotFoundError,
                                lambda: coffer.Repository.open(empty, PASSWORD), "no coffer repository")
        self.backup()
        self.assertRaisesCoffer(coffer.NotFoundError,
                                lambda: self.repo.restore(os.path.join(self.tmp, "o"), "abcdef12"))
        self.assertRaisesCoffer(coffer.NotFoundError, lambda: self.repo.snapshot("abcdef12"),
                                "abcdef12")

    def test_already_exists(self):
        self.assertRaisesCoffer(coffer.AlreadyExistsError,
                                lambda: coffer.Repository.init(self.location, PASSWORD, **FAST))

    def test_invalid_argument(self):
        self.assertRaisesCoffer(coffer.InvalidArgumentError, lambda: self.repo.backup([]),
                                "no path or stream")
        self.assertRaisesCoffer(coffer.InvalidArgumentError,
                                lambda: self.repo.forget({"keep_dayly": 3}), "keep_daily")
        self.assertRaisesCoffer(coffer.InvalidArgumentError,
                                lambda: coffer.Repository.init(os.path.join(self.tmp, "r2"),
                                                               PASSWORD, chunker=(1, 2, 3)))
        self.assertRaisesCoffer(coffer.InvalidArgumentError, lambda: self.repo.set_lock_wait(-1))
        self.assertRaisesCoffer(coffer.InvalidArgumentError, lambda: self.repo.snapshot("abc"),
                                "at least 4 hex digits")

    def test_corrupt_snapshot(self):
        result = self.backup()
        (snapshot_file,) = glob.glob(os.path.join(self.location, "snapshots", "*"))
        with open(snapshot_file, "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0x40
            f.seek(0)
            f.write(data)
        self.assertRaisesCoffer(coffer.CorruptError, self.repo.snapshots, "snapshots/")
        self.assertRaisesCoffer(coffer.CorruptError, lambda: self.repo.snapshot(result.short_id))
        self.assertRaisesCoffer(coffer.CorruptError,
                                lambda: self.repo.restore(os.path.join(self.tmp, "o"),
                                                          result.snapshot_id))

    def test_corrupt_pack(self):
        result = self.backup()
        packs = glob.glob(os.path.join(self.location, "data", "*", "*"))
        biggest = max(packs, key=os.path.getsize)
        with open(biggest, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))
        self.assertRaisesCoffer(coffer.CorruptError,
                                lambda: self.repo.restore(os.path.join(self.tmp, "o"),
                                                          result.snapshot_id))
        check = self.repo.check(read_data=True)
        self.assertFalse(check.ok)
        self.assertTrue(check.errors)

    def test_locked_while_a_backup_holds_the_lock(self):
        holding, release = threading.Event(), threading.Event()
        outcome = []

        def progress(p):
            if not holding.is_set():
                holding.set()
                release.wait(30)

        def run():
            try:
                outcome.append(self.backup(progress=progress))
            except BaseException as e:  # noqa: B902 - reported by the assertion below
                outcome.append(e)

        worker = threading.Thread(target=run)
        worker.start()
        try:
            self.assertTrue(holding.wait(30), "the backup never reported progress")
            with coffer.Repository.open(self.location, PASSWORD) as other:
                other.set_lock_wait(0)
                self.assertRaisesCoffer(coffer.LockedError, other.prune, "locked")
        finally:
            release.set()
            worker.join()
        self.assertIsInstance(outcome[0], coffer.BackupResult)
        # Once the backup finished, prune runs.
        self.repo.prune()

    def test_permission_denied_for_a_write_only_key(self):
        self.repo.set_kdf(*FAST["kdf"])
        self.repo.add_key("agent password", write_only=True)
        with coffer.Repository.open(self.location, "agent password") as agent:
            self.assertTrue(agent.info()["write_only"])
            agent.backup([self.source], cache_dir=self.cache)  # writing is allowed
            self.assertRaisesCoffer(coffer.PermissionDeniedError, agent.snapshots)

    def test_unsupported_key_slot_version(self):
        (slot,) = glob.glob(os.path.join(self.location, "keys", "*"))
        with open(slot) as f:
            text = f.read()
        self.assertIn('"coffer_key_slot": 1', text)
        with open(slot, "w") as f:
            f.write(text.replace('"coffer_key_slot": 1', '"coffer_key_slot": 99'))
        self.assertRaisesCoffer(coffer.UnsupportedError,
                                lambda: coffer.Repository.open(self.location, PASSWORD),
                                "unsupported version")

    @contextlib.contextmanager
    def s3_environment(self, **extra):
        """An S3 setup pointing at a closed port, with only `extra` credentials."""
        nowhere = os.path.join(self.tmp, "no-aws-files")
        env = {"AWS_SHARED_CREDENTIALS_FILE": nowhere, "AWS_CONFIG_FILE": nowhere,
               "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
        env.update(extra)
        with mock.patch.dict(os.environ, env):
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                         "AWS_PROFILE", "AWS_ENDPOINT_URL_S3"):
                if name not in extra:
                    os.environ.pop(name, None)
            yield

    def test_backend_error_for_an_unreachable_endpoint(self):
        # Port 1 on the loopback refuses connections: the retries give up fast.
        with self.s3_environment(AWS_ACCESS_KEY_ID="key", AWS_SECRET_ACCESS_KEY="secret"):
            e = self.assertRaisesCoffer(coffer.BackendError,
                                        lambda: coffer.Repository.open("s3://bucket/repo", PASSWORD),
                                        "127.0.0.1:1")
        self.assertIsInstance(e, coffer.StoreError)

    def test_store_auth_error_without_credentials(self):
        with self.s3_environment():
            self.assertRaisesCoffer(coffer.StoreAuthError,
                                    lambda: coffer.Repository.open("s3://bucket/repo", PASSWORD),
                                    "credentials")

    def test_cancelled_when_the_callback_raises_cancelled_error(self):
        def progress(p):
            raise coffer.CancelledError("stop", coffer.CancelledError.code)

        self.assertRaisesCoffer(coffer.CancelledError, lambda: self.backup(progress=progress),
                                "stop")
        self.assertEqual(self.repo.snapshots(), [])


if __name__ == "__main__":
    unittest.main()
