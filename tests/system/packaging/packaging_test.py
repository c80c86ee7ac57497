"""Debian packages: built, inspected, installed into a scratch root, run.

  packaging_test.py packages     cpack -G DEB, dpkg-deb -x into the scratch
                                 root, then check control fields, conffiles,
                                 maintainer scripts (sh -n) and the units
  packaging_test.py daemons      start agora-master and agora-agent from the
                                 installed units' ExecStart (the
                                 /etc/default values applied, paths in the
                                 scratch root, free ports) and run a task
                                 with the installed `agora run`
  packaging_test.py out_of_tree  build examples/out_of_tree with
                                 find_package(Agora) against the scratch root
                                 and run its framework against those daemons

The scratch root is $AGORA_BUILD_DIR/packaging-test/root; `packages` makes it
(CTest runs it first as the fixture of the other two). The scratch root is
not a dpkg install: maintainer scripts are checked, not run (they create a
system user), and the daemons run as the test's user.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scratch_root  # noqa: E402

BUILD_DIR = os.path.abspath(os.environ.get("AGORA_BUILD_DIR", "build"))
SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
WORK_DIR = os.path.join(BUILD_DIR, "packaging-test")
ROOT = os.path.join(WORK_DIR, "root")
VERSION = os.environ.get("AGORA_VERSION", "")


def debs():
    return {scratch_root.control_fields(path)["Package"]: path
            for path in (os.path.join(WORK_DIR, "debs", name)
                         for name in os.listdir(os.path.join(WORK_DIR, "debs")))
            if path.endswith(".deb")}


class PackagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK_DIR, ignore_errors=True)
        cls.debs = scratch_root.build_packages(BUILD_DIR, os.path.join(WORK_DIR, "debs"))
        scratch_root.extract(cls.debs, ROOT)

    def test_every_package_is_built_with_the_project_version(self):
        self.assertEqual(sorted(self.debs), sorted(scratch_root.DEB_NAMES))
        for name, deb in self.debs.items():
            fields = scratch_root.control_fields(deb)
            self.assertTrue(fields["Version"].startswith(VERSION + "-"), (name, fields["Version"]))
            self.assertIn("<", fields["Maintainer"], name)
            self.assertTrue(fields["Depends"], name)
            summary = fields["Description"].split("\n")[0]
            self.assertTrue(summary.startswith("Agora cluster manager: "), (name, summary))

    def test_daemons_depend_on_their_runtime_libraries(self):
        for name in ("agora-master", "agora-agent"):
            depends = scratch_root.control_fields(self.debs[name])["Depends"]
            for library in ("libgrpc++1.51", "libprotobuf32", "libgoogle-glog0v6",
                            "libzookeeper-mt2", "libjemalloc2"):
                self.assertIn(library, depends, name)
        self.assertIn("adduser", scratch_root.control_fields(self.debs["agora-master"])["Depends"])
        dev = scratch_root.control_fields(self.debs["libagora-dev"])["Depends"]
        for package in ("libgrpc++-dev", "libprotobuf-dev", "protobuf-compiler-grpc",
                        "libgoogle-glog-dev", "libzookeeper-mt-dev"):
            self.assertIn(package, dev)

    def test_files_land_where_the_units_and_users_expect_them(self):
        for path in ("usr/bin/agora-master", "usr/bin/agora-agent", "usr/bin/agora-shim",
                     "usr/bin/agora-executor", "usr/bin/agora", "usr/include/agora/scheduler.hpp",
                     "usr/include/agora/v1/common.pb.h", "usr/include/agora/v1/common.proto",
                     "usr/lib/x86_64-linux-gnu/cmake/Agora/AgoraConfig.cmake",
                     "usr/lib/x86_64-linux-gnu/cmake/Agora/AgoraConfigVersion.cmake",
                     "lib/systemd/system/agora-master.service",
                     "lib/systemd/system/agora-agent.service"):
            self.assertTrue(os.path.exists(os.path.join(ROOT, path)), path)
        completion = os.path.join(SOURCE_DIR, "scripts/agora-completion.bash")
        installed = os.path.join(ROOT, "usr/share/bash-completion/completions/agora")
        self.assertEqual(os.path.exists(completion), os.path.exists(installed))

    def test_flag_files_are_conffiles(self):
        for name in ("agora-master", "agora-agent"):
            conffiles = scratch_root.control_member(self.debs[name], "conffiles")
            self.assertEqual(conffiles.split(), ["/etc/default/" + name])
            self.assertTrue(os.path.isfile(os.path.join(ROOT, "etc/default", name)))

    def test_maintainer_scripts_parse(self):
        for name in ("agora-master", "agora-agent"):
            for script in ("postinst", "prerm", "postrm"):
                text = scratch_root.control_member(self.debs[name], script)
                self.assertIsNotNone(text, "%s has no %s" % (name, script))
                result = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, (name, script, result.stderr))
        postinst = scratch_root.control_member(self.debs["agora-master"], "postinst")
        self.assertIn("adduser --system", postinst)
        self.assertIn("/var/lib/agora/master", postinst)

    def test_units_restart_on_failure_and_read_their_flag_file(self):
        for name, user in (("agora-master", "agora"), ("agora-agent", "root")):
            unit = scratch_root.parse_unit(os.path.join(ROOT, "lib/systemd/system",
                                                        name + ".service"))
            self.assertEqual(unit["Restart"], ["on-failure"], name)
            self.assertTrue(unit["LimitNOFILE"], name)
            self.assertEqual(unit["User"], [user], name)
            self.assertEqual(unit["EnvironmentFile"], ["-/etc/default/" + name], name)
            self.assertTrue(unit["ExecStart"][0].startswith("/usr/bin/%s $" % name), name)

    def test_systemd_accepts_the_units(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            self.skipTest("systemd-analyze not installed")
        # verify checks that ExecStart's binary exists: point it into the
        # scratch root; any warning (unknown key, bad value) fails the test.
        units = tempfile.mkdtemp(prefix="units-", dir=WORK_DIR)
        for name in ("agora-master", "agora-agent"):
            with open(os.path.join(ROOT, "lib/systemd/system", name + ".service")) as f:
                text = f.read().replace("/usr/bin/", os.path.join(ROOT, "usr/bin/"))
            with open(os.path.join(units, name + ".service"), "w") as f:
                f.write(text)
        result = subprocess.run([analyze, "verify", "--man=no",
                                 os.path.join(units, "agora-master.service"),
                                 os.path.join(units, "agora-agent.service")],
                                capture_output=True, text=True)
        self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))


class DaemonsTest(unittest.TestCase):
    def test_installed_daemons_run_a_task_for_the_installed_cli(self):
        log_dir = tempfile.mkdtemp(prefix="daemons-", dir=WORK_DIR)
        cluster = scratch_root.ScratchCluster(ROOT, log_dir)
        try:
            cluster.start()
            result = cluster.agora("run", "--name", "pkg", "--command", "true", "--timeout", "60",
                                   timeout=90)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("1 of 1 task(s) finished", result.stdout)
        finally:
            cluster.stop()
        # The daemons ran with the work dirs of the packaged /etc/default
        # files, inside the scratch root.
        state = os.path.join(ROOT, "var/lib/agora")
        self.assertTrue(os.path.isdir(os.path.join(state, "master/registry")))
        self.assertTrue(os.path.isdir(os.path.join(state, "agent/sandboxes")))


class OutOfTreeTest(unittest.TestCase):
    def test_example_framework_builds_against_the_install_and_runs(self):
        build = os.path.join(WORK_DIR, "out_of_tree")
        shutil.rmtree(build, ignore_errors=True)
        subprocess.run(["cmake", "-S", os.path.join(SOURCE_DIR, "examples/out_of_tree"), "-B",
                        build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                        "-DCMAKE_PREFIX_PATH=" + os.path.join(ROOT, "usr")],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            agora_dir = [line for line in f if line.startswith("Agora_DIR:")]
        self.assertEqual(agora_dir, ["Agora_DIR:PATH=%s/usr/lib/x86_64-linux-gnu/cmake/Agora\n" %
                                     ROOT])
        result = subprocess.run(["cmake", "--build", build], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stdout[-4000:])
        framework = os.path.join(build, "hello_framework")
        executor = os.path.join(build, "hello_executor")
        usage = subprocess.run([framework, "--help"], capture_output=True, text=True)
        self.assertEqual(usage.returncode, 0)
        self.assertIn("usage: hello_framework", usage.stdout)

        cluster = scratch_root.ScratchCluster(ROOT, tempfile.mkdtemp(prefix="oot-", dir=WORK_DIR))
        try:
            cluster.start()
            for extra in ([], ["--executor=" + executor]):
                run = subprocess.run([framework, "--master=" + cluster.master, *extra],
                                     capture_output=True, text=True, timeout=90)
                self.assertEqual(run.returncode, 0, (extra, run.stdout, run.stderr[-3000:]))
                self.assertIn("hello-1 TASK_FINISHED", run.stdout)
        finally:
            cluster.stop()


if __name__ == "__main__":
    cases = {"packages": PackagesTest, "daemons": DaemonsTest, "out_of_tree": OutOfTreeTest}
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        sys.exit("usage: packaging_test.py packages|daemons|out_of_tree")
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cases[sys.argv[1]])
    sys.exit(0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1)
